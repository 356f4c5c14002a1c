"""Reporting's pure logic: periods, measures, surges and the words a committee reads. No I/O."""
