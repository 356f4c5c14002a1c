package uk.frontdoor.standin;

import java.io.IOException;
import java.io.PrintStream;
import java.net.BindException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.MongoVersion;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import org.h2.mvstore.MVStore;

/**
 * Frontdoor's local MongoDB stand-in: mongo-java-server with the H2 (MVStore)
 * on-disk backend, bound to loopback.
 *
 * <pre>
 * java -cp '&lt;jars&gt;/*' uk.frontdoor.standin.MongoStandIn \
 *      [--host 127.0.0.1] [--port 27017] --db /path/to/frontdoor.mv.db \
 *      [--server-version 5.0.0] [--wire-version 13] [--autocommit-ms 1000] \
 *      [--retention-ms 600000]
 * </pre>
 *
 * Every option may also come from the environment (FRONTDOOR_MONGO_HOST,
 * FRONTDOOR_MONGO_PORT, FRONTDOOR_MONGO_DB, FRONTDOOR_MONGO_SERVER_VERSION,
 * FRONTDOOR_MONGO_WIRE_VERSION, FRONTDOOR_MONGO_AUTOCOMMIT_MS,
 * FRONTDOOR_MONGO_RETENTION_MS); command-line
 * arguments win.
 *
 * Exit codes: 0 clean shutdown, 2 bad arguments, 3 cannot open the data
 * file (e.g. locked by another stand-in), 4 cannot bind the port.
 */
public final class MongoStandIn {

    static final String DEFAULT_HOST = "127.0.0.1";
    static final int DEFAULT_PORT = 27017;
    static final String DEFAULT_DB = "frontdoor-mongo.mv.db";

    /*
     * The enum shipped with mongo-java-server 1.47.0 (ServerVersion) tops out at
     * MONGO_5_0 with maxWireVersion 8, and current PyMongo (4.20) refuses any
     * server below wire version 9 (MongoDB 4.4). The library behaves like 5.0
     * regardless of the reported version (the version only feeds the
     * isMaster/buildInfo replies), so we report 5.0.0 with MongoDB 5.0's real
     * wire version, 13.
     */
    static final String DEFAULT_SERVER_VERSION = "5.0.0";
    static final int DEFAULT_WIRE_VERSION = 13;

    /*
     * H2's MVStore writes changes to the file from a background thread at most
     * this many milliseconds after they happen (H2's own default is 1000).
     * A clean shutdown (SIGTERM) flushes everything; a SIGKILL or crash loses
     * at most this window.
     */
    static final int DEFAULT_AUTOCOMMIT_MS = 1000;

    /*
     * A query reads a collection as it was when the query began, but H2 does not
     * know that: once every page of a chunk of the file has been superseded and
     * the chunk is older than this retention time, H2 frees it, and a long query
     * still reading it fails with "Chunk N not found". Two things supersede
     * pages: writes, and H2's background compaction, which moves the live pages
     * of half-empty chunks even when nothing is written. The stand-in turns the
     * compaction off (a report over a million contacts failed that way while
     * nothing else ran) and keeps chunks for ten minutes rather than H2's 45 s,
     * at the cost of a larger file.
     */
    static final int DEFAULT_RETENTION_MS = 600_000;

    private MongoStandIn() {
    }

    /** The version we tell clients about in isMaster / buildInfo. */
    static final class ReportedVersion implements MongoVersion {
        private final List<Integer> versionArray;
        private final int wireVersion;

        ReportedVersion(List<Integer> versionArray, int wireVersion) {
            this.versionArray = Collections.unmodifiableList(new ArrayList<>(versionArray));
            this.wireVersion = wireVersion;
        }

        static ReportedVersion parse(String dotted, int wireVersion) {
            List<Integer> parts = new ArrayList<>();
            for (String piece : dotted.trim().split("\\.")) {
                parts.add(Integer.valueOf(piece));
            }
            while (parts.size() < 3) {
                parts.add(0);
            }
            return new ReportedVersion(parts, wireVersion);
        }

        @Override
        public List<Integer> getVersionArray() {
            return versionArray;
        }

        @Override
        public int getWireVersion() {
            return wireVersion;
        }
    }

    static final class Options {
        String host = env("FRONTDOOR_MONGO_HOST", DEFAULT_HOST);
        int port = Integer.parseInt(env("FRONTDOOR_MONGO_PORT", Integer.toString(DEFAULT_PORT)));
        String db = env("FRONTDOOR_MONGO_DB", DEFAULT_DB);
        String serverVersion = env("FRONTDOOR_MONGO_SERVER_VERSION", DEFAULT_SERVER_VERSION);
        int wireVersion = Integer.parseInt(env("FRONTDOOR_MONGO_WIRE_VERSION", Integer.toString(DEFAULT_WIRE_VERSION)));
        int autoCommitMs = Integer.parseInt(env("FRONTDOOR_MONGO_AUTOCOMMIT_MS", Integer.toString(DEFAULT_AUTOCOMMIT_MS)));
        int retentionMs = Integer.parseInt(env("FRONTDOOR_MONGO_RETENTION_MS", Integer.toString(DEFAULT_RETENTION_MS)));

        static Options parse(String[] args) {
            Options o = new Options();
            for (int i = 0; i < args.length; i++) {
                String arg = args[i];
                String value = null;
                int eq = arg.indexOf('=');
                if (arg.startsWith("--") && eq > 0) {
                    value = arg.substring(eq + 1);
                    arg = arg.substring(0, eq);
                }
                switch (arg) {
                    case "-h":
                    case "--help":
                        usage(System.out);
                        System.exit(0);
                        break;
                    case "--host":
                        o.host = value != null ? value : next(args, ++i, arg);
                        break;
                    case "--port":
                        o.port = Integer.parseInt(value != null ? value : next(args, ++i, arg));
                        break;
                    case "--db":
                        o.db = value != null ? value : next(args, ++i, arg);
                        break;
                    case "--server-version":
                        o.serverVersion = value != null ? value : next(args, ++i, arg);
                        break;
                    case "--wire-version":
                        o.wireVersion = Integer.parseInt(value != null ? value : next(args, ++i, arg));
                        break;
                    case "--autocommit-ms":
                        o.autoCommitMs = Integer.parseInt(value != null ? value : next(args, ++i, arg));
                        break;
                    case "--retention-ms":
                        o.retentionMs = Integer.parseInt(value != null ? value : next(args, ++i, arg));
                        break;
                    default:
                        throw new IllegalArgumentException("unknown argument: " + args[i]);
                }
            }
            if (o.port < 0 || o.port > 65535) {
                throw new IllegalArgumentException("port out of range: " + o.port);
            }
            if (o.autoCommitMs < 1) {
                throw new IllegalArgumentException("--autocommit-ms must be at least 1");
            }
            if (o.retentionMs < 45_000) {
                throw new IllegalArgumentException("--retention-ms must be at least 45000 (H2's own default)");
            }
            if (o.db == null || o.db.isBlank()) {
                throw new IllegalArgumentException("--db must name a file");
            }
            return o;
        }

        private static String next(String[] args, int i, String name) {
            if (i >= args.length) {
                throw new IllegalArgumentException(name + " needs a value");
            }
            return args[i];
        }

        private static String env(String name, String fallback) {
            String v = System.getenv(name);
            return v == null || v.isBlank() ? fallback : v;
        }
    }

    static void usage(PrintStream out) {
        out.println("usage: MongoStandIn [--host HOST] [--port PORT] [--db FILE]"
            + " [--server-version X.Y.Z] [--wire-version N] [--autocommit-ms MS] [--retention-ms MS]");
        out.println("  defaults: host " + DEFAULT_HOST + ", port " + DEFAULT_PORT + ", db ./" + DEFAULT_DB
            + ", reported version " + DEFAULT_SERVER_VERSION + " (wire " + DEFAULT_WIRE_VERSION + ")"
            + ", autocommit " + DEFAULT_AUTOCOMMIT_MS + " ms, old chunks kept " + DEFAULT_RETENTION_MS + " ms");
    }

    private static void configureLogging() {
        // slf4j-simple reads these once, when the first logger is created,
        // so set them before touching any mongo-java-server class.
        // Anything given with -D on the java command line wins.
        setDefault("org.slf4j.simpleLogger.logFile", "System.out");
        setDefault("org.slf4j.simpleLogger.defaultLogLevel", "info");
        setDefault("org.slf4j.simpleLogger.showDateTime", "true");
        setDefault("org.slf4j.simpleLogger.dateTimeFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSZ");
        setDefault("org.slf4j.simpleLogger.showShortLogName", "true");
        // One INFO line per client connect/disconnect is noise with pooled drivers.
        // (1.47.0 logs them under the MongoWireProtocolHandler logger name.)
        setDefault("org.slf4j.simpleLogger.log.de.bwaldvogel.mongo.wire.MongoWireProtocolHandler", "warn");
        setDefault("org.slf4j.simpleLogger.log.de.bwaldvogel.mongo.wire.MongoDatabaseHandler", "warn");
        setDefault("org.slf4j.simpleLogger.log.io.netty", "warn");
    }

    private static void setDefault(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }

    private static void say(String message) {
        System.out.println("[MongoStandIn] " + message);
        System.out.flush();
    }

    public static void main(String[] args) throws InterruptedException {
        configureLogging();

        final Options options;
        final ReportedVersion version;
        try {
            options = Options.parse(args);
            version = ReportedVersion.parse(options.serverVersion, options.wireVersion);
        } catch (IllegalArgumentException e) {
            System.err.println("[MongoStandIn] " + e.getMessage());
            usage(System.err);
            System.exit(2);
            return;
        }

        Path dbFile = Paths.get(options.db).toAbsolutePath().normalize();
        try {
            if (dbFile.getParent() != null) {
                Files.createDirectories(dbFile.getParent());
            }
        } catch (IOException e) {
            say("cannot create directory for " + dbFile + ": " + e);
            System.exit(3);
            return;
        }

        final H2Backend backend;
        try {
            MVStore store = new MVStore.Builder()
                .fileName(dbFile.toString())
                .autoCompactFillRate(0)
                .open();
            backend = new H2Backend(store);
        } catch (RuntimeException e) {
            // e.g. "The file is locked" when another stand-in holds it
            say("cannot open H2 data file " + dbFile + ": " + e.getMessage());
            System.exit(3);
            return;
        }
        backend.version(version);
        backend.getMvStore().setAutoCommitDelay(options.autoCommitMs);
        backend.getMvStore().setRetentionTime(options.retentionMs);

        final MongoServer server = new MongoServer(backend);
        try {
            server.bind(options.host, options.port);
        } catch (RuntimeException e) {
            Throwable cause = e;
            while (cause.getCause() != null && !(cause instanceof BindException)) {
                cause = cause.getCause();
            }
            say("cannot bind " + options.host + ":" + options.port + ": " + cause);
            closeQuietly(server, backend);
            System.exit(4);
            return;
        }

        final CountDownLatch stopped = new CountDownLatch(1);
        final AtomicBoolean closing = new AtomicBoolean(false);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (closing.compareAndSet(false, true)) {
                say("shutting down (closing clients, flushing " + dbFile + ")");
                closeQuietly(server, backend);
                say("stopped");
            }
            stopped.countDown();
        }, "frontdoor-mongo-standin-shutdown"));

        say(String.format(Locale.ROOT,
            "listening on %s:%d (reports MongoDB %s, maxWireVersion %d; H2 file %s; pid %d)",
            options.host, server.getLocalAddress().getPort(), version.toVersionString(),
            version.getWireVersion(), dbFile, ProcessHandle.current().pid()));

        // Netty's event-loop threads keep the JVM alive; park main until shutdown.
        stopped.await();
    }

    private static void closeQuietly(MongoServer server, H2Backend backend) {
        try {
            // closes the listening socket, all clients, the event loops and the backend
            server.shutdownNow();
        } catch (RuntimeException e) {
            say("error while shutting down server: " + e);
        }
        try {
            if (!backend.getMvStore().isClosed()) {
                backend.close();
            }
        } catch (RuntimeException e) {
            say("error while closing H2 store: " + e);
        }
    }
}
