package dev.sekisho.it.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.HdrHistogram.Histogram;

import com.google.protobuf.Timestamp;

import dev.sekisho.audit.v1.Actor;
import dev.sekisho.audit.v1.ActorType;
import dev.sekisho.audit.v1.AuditEvent;
import dev.sekisho.audit.v1.AuditIngestGrpc;
import dev.sekisho.audit.v1.Outcome;
import dev.sekisho.audit.v1.RecordBatchAck;
import dev.sekisho.audit.v1.Resource;
import dev.sekisho.testing.fixtures.KeycloakTokens;
import dev.sekisho.testing.servers.Ports;
import dev.sekisho.testing.servers.PostgresServer;
import dev.sekisho.launcher.SekishoService;
import dev.sekisho.launcher.ServiceLauncher;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.MetadataUtils;

/**
 * audit-service: ingest through RecordStream against plain batched INSERTs of the same rows into the same
 * PostgreSQL, the time to verify the whole chain, and query-by-actor latency over the filled log. Run with
 * scripts/bench-audit.sh; method and figures in docs/benchmarks.md.
 */
public final class AuditBenchmark {

    static final int EVENTS = Integer.getInteger("bench.events", 1_000_000);
    static final int MEASURED = Integer.getInteger("bench.measured", 200_000);
    /** Rows per baseline transaction: as many as audit-service appends in one at most (sekisho.audit.batch-size). */
    static final int PLAIN_BATCH = Integer.getInteger("bench.plain-batch", 2000);
    static final int WARMUP_EVENTS = Integer.getInteger("bench.warmup-events", 100_000);
    static final int STREAMS = Integer.getInteger("bench.streams", 8);
    static final int ACTORS = 1_000;
    static final int QUERIES = Integer.getInteger("bench.queries", 1_000);

    public static void main(String[] args) throws Exception {
        BenchServers servers = BenchServers.start("audit", "sekisho_audit");
        Path work = servers.work;
        PostgresServer.Connection db = servers.db("sekisho_audit");
        Map<String, String> env = servers.environment("sekisho_audit");
        env.put("SEKISHO_AUDIT_SIGNING_KEY_FILE", work.resolve("audit-signing.key").toString());
        ServiceLauncher audit = ServiceLauncher.start(servers.root, SekishoService.AUDIT, Ports.free(), env, work.resolve("audit.log"));
        try {
            System.out.printf("# audit-service benchmark: %,d events in %d streams, %d cores, %s%n%n", EVENTS, STREAMS,
                    Runtime.getRuntime().availableProcessors(), System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
            // the baseline: the same rows into a table of the same schema (its indexes and constraints, which the
            // queries need), and, for reference, into a bare heap without any index
            double bare = plainInserts(db, MEASURED, "plain_event_bare", "as select * from audit_event with no data");
            double plain = plainInserts(db, MEASURED, "plain_event", "(like audit_event including all)");
            String token = KeycloakTokens.service("auth");
            ManagedChannel channel = channel(audit.port(), token);
            ingest(channel, WARMUP_EVENTS); // the service's JIT, as the JDBC driver's is warm after its first batches
            double streamed = ingest(channel, MEASURED);
            long start = System.nanoTime();
            ingest(channel, EVENTS - MEASURED - WARMUP_EVENTS);
            channel.shutdownNow();
            System.out.printf("filled to %,d events in %.0f s more%n", EVENTS, (System.nanoTime() - start) / 1e9);

            String auditor = KeycloakTokens.auditor();
            HttpClient http = HttpClient.newHttpClient();
            start = System.nanoTime();
            HttpResponse<String> verify = http.send(get(audit.url() + "/v1/audit/verify", auditor), HttpResponse.BodyHandlers.ofString());
            double verifySeconds = (System.nanoTime() - start) / 1e9;
            Histogram query = queries(http, audit.url(), auditor);

            System.out.println();
            System.out.println("| measurement | result |");
            System.out.println("|---|---:|");
            System.out.printf("| plain batched INSERT into a bare heap, no index (JDBC, %,d rows a batch, 8 connections) | %,.0f rows/s |%n", PLAIN_BATCH, bare);
            System.out.printf("| plain batched INSERT, same schema as audit_event (JDBC, %,d rows a batch, 8 connections) | %,.0f rows/s |%n", PLAIN_BATCH, plain);
            System.out.printf("| RecordStream ingest (%d streams, validated, chained, acknowledged) | %,.0f events/s |%n", STREAMS, streamed);
            System.out.printf("| ingest / plain INSERT | %.0f%% (target >= 50%%) |%n", 100 * streamed / plain);
            System.out.printf("| verify the whole chain (%,d events) | %.1f s (target <= 30 s) |%n", EVENTS, verifySeconds);
            System.out.printf("| query by actor, 50 newest, %,d queries: p50 / p99 | %.1f / %.1f ms (target p99 <= 50 ms) |%n",
                    QUERIES, query.getValueAtPercentile(50) / 1e6, query.getValueAtPercentile(99) / 1e6);
            System.out.println();
            System.out.println("verify answered: " + verify.body());
        } finally {
            audit.stop();
            servers.completed(); // a filled database is gigabytes: it goes also after a failure
            servers.close();
        }
    }

    static AuditEvent event(long i) {
        Instant now = Instant.now();
        return AuditEvent.newBuilder().setEventId(UUID.randomUUID().toString())
                .setOccurredAt(Timestamp.newBuilder().setSeconds(now.getEpochSecond()).setNanos(now.getNano()))
                .setActor(Actor.newBuilder().setType(ActorType.ACTOR_TYPE_USER).setId("user-" + (i % ACTORS)).setIp("198.51.100.7"))
                .setAction(i % 3 == 0 ? "auth.login.failed" : "secret.read")
                .setResource(Resource.newBuilder().setType("secret").setId("payments/" + (i % 100)))
                .setOutcome(Outcome.OUTCOME_SUCCESS).setService("bench").putAttributes("path", "payments/" + (i % 100))
                .build();
    }

    /** The same rows written the cheapest way into {@code table}: JDBC batches, no triggers, no chain computed. */
    static double plainInserts(PostgresServer.Connection db, int rows, String table, String definition) throws Exception {
        try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password())) {
            c.createStatement().execute("create table if not exists " + table + " " + definition);
        }
        AtomicLong next = new AtomicLong();
        int threads = 8;
        CountDownLatch done = new CountDownLatch(threads);
        long start = System.nanoTime();
        for (int t = 0; t < threads; t++) {
            Thread.startVirtualThread(() -> {
                try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
                        PreparedStatement insert = c.prepareStatement("insert into " + table + " values "
                                + "(?, ?::uuid, ?, ?, 'user', ?, ?, '', '', ?, 'secret', ?, 'success', '', 'bench', '', ?::jsonb, ?, ?)")) {
                    c.setAutoCommit(false);
                    long i;
                    int inBatch = 0;
                    byte[] hash = new byte[32];
                    while ((i = next.getAndIncrement()) < rows) {
                        AuditEvent e = event(i);
                        java.sql.Timestamp now = java.sql.Timestamp.from(Instant.now());
                        insert.setLong(1, i + 1);
                        insert.setString(2, e.getEventId());
                        insert.setTimestamp(3, now);
                        insert.setTimestamp(4, now);
                        insert.setString(5, e.getActor().getId());
                        insert.setString(6, e.getActor().getIp());
                        insert.setString(7, e.getAction());
                        insert.setString(8, e.getResource().getId());
                        insert.setString(9, "{\"path\":\"" + e.getAttributesMap().get("path") + "\"}");
                        insert.setBytes(10, hash);
                        insert.setBytes(11, hash);
                        insert.addBatch();
                        if (++inBatch == PLAIN_BATCH) {
                            insert.executeBatch();
                            c.commit();
                            inBatch = 0;
                        }
                    }
                    insert.executeBatch();
                    c.commit();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                } finally {
                    done.countDown();
                }
            });
        }
        done.await();
        return rows / ((System.nanoTime() - start) / 1e9);
    }

    static ManagedChannel channel(int port, String token) {
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
        return ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext()
                .intercept(MetadataUtils.newAttachHeadersInterceptor(headers)).build();
    }

    /** STREAMS concurrent RecordStream calls, each sending as fast as gRPC flow control allows. */
    static double ingest(ManagedChannel channel, int events) throws InterruptedException {
        AtomicLong sent = new AtomicLong();
        AtomicLong acked = new AtomicLong();
        CountDownLatch done = new CountDownLatch(STREAMS);
        long start = System.nanoTime();
        var stub = AuditIngestGrpc.newStub(channel);
        for (int s = 0; s < STREAMS; s++) {
            stub.recordStream(new ClientResponseObserver<AuditEvent, RecordBatchAck>() {
                ClientCallStreamObserver<AuditEvent> requests;
                boolean completed;

                @Override
                public void beforeStart(ClientCallStreamObserver<AuditEvent> requestStream) {
                    requests = requestStream;
                    requestStream.setOnReadyHandler(() -> {
                        while (!completed && requests.isReady()) {
                            long i = sent.getAndIncrement();
                            if (i >= events) {
                                completed = true;
                                requests.onCompleted();
                                return;
                            }
                            requests.onNext(event(i));
                        }
                    });
                }

                @Override
                public void onNext(RecordBatchAck batch) {
                    acked.addAndGet(batch.getAcksCount());
                }

                @Override
                public void onError(Throwable t) {
                    System.out.println("stream failed: " + t);
                    done.countDown();
                }

                @Override
                public void onCompleted() {
                    done.countDown();
                }
            });
        }
        done.await(30, TimeUnit.MINUTES);
        double seconds = (System.nanoTime() - start) / 1e9;
        if (acked.get() != events) {
            System.out.println("acknowledged " + acked.get() + " of " + events);
        }
        return acked.get() / seconds;
    }

    static Histogram queries(HttpClient http, String url, String token) throws Exception {
        Histogram histogram = new Histogram(3);
        for (int i = 0; i < QUERIES + 100; i++) {
            long start = System.nanoTime();
            HttpResponse<String> response = http.send(get(url + "/v1/audit/events?limit=50&actor=user-" + (i * 7 % ACTORS), token),
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IllegalStateException("query failed: " + response.statusCode());
            }
            if (i >= 100) { // the first hundred warm up
                histogram.recordValue(System.nanoTime() - start);
            }
        }
        return histogram;
    }

    static HttpRequest get(String url, String token) {
        return HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + token).timeout(Duration.ofMinutes(5)).build();
    }
}
