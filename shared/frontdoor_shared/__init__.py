"""The library every Frontdoor service imports: event contracts, topics, settings, logging, Kafka and Mongo helpers."""
