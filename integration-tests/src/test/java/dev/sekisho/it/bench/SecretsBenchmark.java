package dev.sekisho.it.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;

import org.HdrHistogram.Histogram;

import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;
import com.google.protobuf.ByteString;

import dev.sekisho.launcher.SekishoService;
import dev.sekisho.launcher.ServiceLauncher;
import dev.sekisho.secrets.v1.EncryptRequest;
import dev.sekisho.secrets.v1.GetSecretRequest;
import dev.sekisho.secrets.v1.PlaintextItem;
import dev.sekisho.secrets.v1.PutSecretRequest;
import dev.sekisho.secrets.v1.SecretsGrpc;
import dev.sekisho.testing.fixtures.KeycloakTokens;
import dev.sekisho.testing.servers.Ports;
import dev.sekisho.testing.servers.PostgresServer;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;

/**
 * secrets-service: secret reads over gRPC (audited, decrypted) with 10,000 stored secrets against plain primary-key
 * SELECTs of the same rows through a pool of the service's size, the database cost of the read's audit record as its
 * own row, p99 at 10% of the peak in an open loop, and transit encryption of 1 KiB (single and batched) against a
 * no-work call on the same server. Run with scripts/bench-secrets.sh; method and figures in docs/benchmarks.md.
 */
public final class SecretsBenchmark {

    static final int SECRETS = Integer.getInteger("bench.secrets", 10_000);
    static final int CONCURRENCY = Integer.getInteger("bench.concurrency", 32);
    /** The service's reactive pool (quarkus.datasource.reactive.max-size, Quarkus' default). */
    static final int POOL = Integer.getInteger("bench.pool", 20);
    static final Duration WARMUP = Duration.ofSeconds(Integer.getInteger("bench.warmup-seconds", 15));
    static final Duration MEASURE = Duration.ofSeconds(Integer.getInteger("bench.measure-seconds", 20));
    static final String PREFIX = "integrations/bench/";
    static final SecureRandom RANDOM = new SecureRandom();

    public static void main(String[] args) throws Exception {
        BenchServers servers = BenchServers.start("secrets", "sekisho_secrets");
        Path root = servers.root;
        Path work = servers.work;
        PostgresServer.Connection db = servers.db("sekisho_secrets");
        // keys of this run, given to the service and to the yardstick that opens the same values
        String masterKey = randomKey();
        String hmacKey = randomKey();
        Map<String, String> env = servers.environment("sekisho_secrets");
        env.put("SEKISHO_SECRETS_POLICIES_DIR", root.resolve("deploy/secrets").toString());
        env.putAll(Map.of("_LOCAL_SEKISHO_SECRETS_MASTER_KEYS", "1:" + masterKey, "_LOCAL_SEKISHO_SECRETS_HMAC_KEY", hmacKey));
        ServiceLauncher secrets = ServiceLauncher.start(root, SekishoService.SECRETS, Ports.free(), env, work.resolve("secrets.log"));
        try {
            System.out.printf("# secrets-service benchmark: %,d secrets, %d in flight, %d cores, %s%n%n", SECRETS, CONCURRENCY,
                    Runtime.getRuntime().availableProcessors(), System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
            String operator = KeycloakTokens.user(KeycloakTokens.DEMO, KeycloakTokens.DEMO_PASSWORD, KeycloakTokens.DEMO_TOTP);
            List<ManagedChannel> channels = channels(secrets.port(), operator);
            warm(channels.get(0));
            fill(channels);

            // the baselines: the same rows, read the cheapest way, through a pool of the service's size
            Rate select = jdbcLoop(db, "plain primary-key SELECT of a secret version (1 statement)", false, false);
            Rate readWork = jdbcLoop(db, "a read's database work without its audit record (2 SELECTs in a transaction)", true, false);
            Rate auditedWork = jdbcLoop(db, "a read's database work with its audit record (2 SELECTs and an outbox INSERT in a transaction)",
                    true, true);

            List<SecretsGrpc.SecretsFutureStub> stubs = channels.stream().map(SecretsGrpc::newFutureStub).toList();
            IntFunction<ListenableFuture<?>> read = i -> stubs.get(i % stubs.size())
                    .getSecret(GetSecretRequest.newBuilder().setPath(path(RANDOM.nextInt(SECRETS))).build());
            Loops.closed(CONCURRENCY, read, WARMUP);
            double reads = Loops.closed(CONCURRENCY, read, MEASURE);
            Histogram open = Loops.open(read, reads / 10, MEASURE);

            // the yardstick: the same reads, query, opens and outbox INSERT with nothing else around them
            int leanPort = Ports.free();
            Process lean = Yardstick.start(LeanSecretReadServer.class, leanPort, work.resolve("lean.log"), db.host(),
                    String.valueOf(db.port()), db.database(), db.user(), db.password(), masterKey, hmacKey);
            List<ManagedChannel> leanChannels = channels(leanPort, operator);
            List<SecretsGrpc.SecretsFutureStub> leanStubs = leanChannels.stream().map(SecretsGrpc::newFutureStub).toList();
            IntFunction<ListenableFuture<?>> leanRead = i -> leanStubs.get(i % leanStubs.size())
                    .getSecret(GetSecretRequest.newBuilder().setPath(path(RANDOM.nextInt(SECRETS))).build());
            Loops.closed(CONCURRENCY, leanRead, WARMUP);
            double leanReads = Loops.closed(CONCURRENCY, leanRead, MEASURE);
            Histogram leanOpen = Loops.open(leanRead, leanReads / 10, MEASURE);
            leanChannels.forEach(ManagedChannel::shutdownNow);
            lean.destroy();
            lean.waitFor(30, TimeUnit.SECONDS);

            // transit, against a call that does no work on the same server: an authenticated Encrypt with no item,
            // refused at once, so that both pay the same transport, interceptors and token check
            String admin = KeycloakTokens.user(KeycloakTokens.ALICE, KeycloakTokens.ALICE_PASSWORD, KeycloakTokens.ALICE_TOTP);
            createKey(secrets.url(), admin, "bench/transit");
            operator = KeycloakTokens.user(KeycloakTokens.DEMO, KeycloakTokens.DEMO_PASSWORD, KeycloakTokens.DEMO_TOTP);
            channels.forEach(ManagedChannel::shutdownNow);
            channels = channels(secrets.port(), operator);
            warm(channels.get(0));
            List<SecretsGrpc.SecretsFutureStub> transit = channels.stream().map(SecretsGrpc::newFutureStub).toList();
            byte[] kib = new byte[1024];
            RANDOM.nextBytes(kib);
            EncryptRequest single = EncryptRequest.newBuilder().setKeyName("bench/transit")
                    .addItems(PlaintextItem.newBuilder().setPlaintext(ByteString.copyFrom(kib))).build();
            EncryptRequest.Builder hundred = EncryptRequest.newBuilder().setKeyName("bench/transit");
            for (int i = 0; i < 100; i++) {
                hundred.addItems(PlaintextItem.newBuilder().setPlaintext(ByteString.copyFrom(kib)));
            }
            EncryptRequest batch = hundred.build();
            EncryptRequest nothing = EncryptRequest.newBuilder().setKeyName("bench/transit").build();
            IntFunction<ListenableFuture<?>> noWork = i -> refusedAsExpected(transit.get(i % transit.size()).encrypt(nothing));
            IntFunction<ListenableFuture<?>> encrypt = i -> transit.get(i % transit.size()).encrypt(single);
            IntFunction<ListenableFuture<?>> encryptBatch = i -> transit.get(i % transit.size()).encrypt(batch);
            Loops.closed(CONCURRENCY, noWork, WARMUP);
            double none = Loops.closed(CONCURRENCY, noWork, MEASURE);
            Loops.closed(CONCURRENCY, encrypt, WARMUP);
            double encrypted = Loops.closed(CONCURRENCY, encrypt, MEASURE);
            double batched = Loops.closed(CONCURRENCY, encryptBatch, MEASURE);
            channels.forEach(ManagedChannel::shutdownNow);

            System.out.println();
            System.out.println("| measurement | result |");
            System.out.println("|---|---:|");
            System.out.printf("| %s, %d connections | %,.0f /s |%n", select.what(), POOL, select.perSecond());
            System.out.printf("| %s, %d connections | %,.0f /s |%n", readWork.what(), POOL, readWork.perSecond());
            System.out.printf("| %s, %d connections | %,.0f /s |%n", auditedWork.what(), POOL, auditedWork.perSecond());
            System.out.printf("| the audit record's cost at the database (the two rows above) | %.0f%% fewer reads |%n",
                    100 * (1 - auditedWork.perSecond() / readWork.perSecond()));
            System.out.printf("| GetSecret over gRPC (policy, audited, decrypted), %d in flight | %,.0f /s |%n", CONCURRENCY, reads);
            System.out.printf("| GetSecret / plain SELECT | %.0f%% (target >= 40%%) |%n", 100 * reads / select.perSecond());
            System.out.printf("| GetSecret / its own database work, audited | %.0f%% |%n", 100 * reads / auditedWork.perSecond());
            System.out.printf("| GetSecret at 10%% of peak (%,.0f /s, open loop): p50 / p99 / max | %.2f / %.2f / %.1f ms (target p99 <= 5 ms) |%n",
                    reads / 10, open.getValueAtPercentile(50) / 1e6, open.getValueAtPercentile(99) / 1e6, open.getMaxValue() / 1e6);
            System.out.printf("| yardstick: the same read, opens and audit INSERT on bare Vert.x gRPC + pg-client, %d in flight | %,.0f /s |%n",
                    CONCURRENCY, leanReads);
            System.out.printf("| yardstick / plain SELECT | %.0f%% |%n", 100 * leanReads / select.perSecond());
            System.out.printf("| GetSecret / yardstick | %.0f%% |%n", 100 * reads / leanReads);
            System.out.printf("| yardstick at 10%% of its peak (%,.0f /s, open loop): p50 / p99 / max | %.2f / %.2f / %.1f ms |%n",
                    leanReads / 10, leanOpen.getValueAtPercentile(50) / 1e6, leanOpen.getValueAtPercentile(99) / 1e6,
                    leanOpen.getMaxValue() / 1e6);
            System.out.printf("| no-work call (authenticated Encrypt with no item, refused), %d in flight | %,.0f /s |%n", CONCURRENCY,
                    none);
            System.out.printf("| transit Encrypt, 1 KiB | %,.0f /s |%n", encrypted);
            System.out.printf("| transit Encrypt / no-work call | %.0f%% (target >= 60%%) |%n", 100 * encrypted / none);
            System.out.printf("| transit Encrypt, batches of 100 x 1 KiB | %,.0f calls/s = %,.0f items/s |%n", batched,
                    100 * batched);
            System.out.printf("| calls refused (counted, not in the rates): filling / measuring | %,d / %,d |%n", refusedWhileFilling.get(),
                    Loops.refused.get());
            System.out.printf("%nsecrets-service RSS after the run: %,d MiB%n", rssMiB(secrets.process().pid()));
            servers.completed();
        } finally {
            secrets.stop();
            servers.close();
        }
    }

    record Rate(String what, double perSecond) {
    }

    /** One call alone before any burst, as a client's first call comes: the service sees the token once. */
    static void warm(ManagedChannel channel) {
        try {
            SecretsGrpc.newBlockingStub(channel).getSecret(GetSecretRequest.newBuilder().setPath(PREFIX + "none").build());
        } catch (StatusRuntimeException expected) {
            // NOT_FOUND
        }
    }

    static String randomKey() {
        byte[] key = new byte[32];
        RANDOM.nextBytes(key);
        return java.util.Base64.getEncoder().encodeToString(key);
    }

    static String path(int i) {
        return PREFIX + String.format("s%05d", i);
    }

    static List<ManagedChannel> channels(int port, String token) {
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
        List<ManagedChannel> channels = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            channels.add(ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext()
                    .intercept(MetadataUtils.newAttachHeadersInterceptor(headers)).build());
        }
        return channels;
    }

    static final AtomicLong refusedWhileFilling = new AtomicLong();

    /** 10,000 secrets through the service's own PutSecret, 16 at a time (a refused call is counted and sent again). */
    static void fill(List<ManagedChannel> channels) throws Exception {
        long start = System.nanoTime();
        List<SecretsGrpc.SecretsBlockingStub> stubs = channels.stream().map(SecretsGrpc::newBlockingStub).toList();
        AtomicLong next = new AtomicLong();
        CountDownLatch done = new CountDownLatch(16);
        for (int t = 0; t < 16; t++) {
            int thread = t;
            Thread.startVirtualThread(() -> {
                try {
                    long i;
                    while ((i = next.getAndIncrement()) < SECRETS) {
                        byte[] value = new byte[32];
                        RANDOM.nextBytes(value);
                        PutSecretRequest put = PutSecretRequest.newBuilder().setPath(path((int) i))
                                .putData("api_key", HexFormat.of().formatHex(value)).putData("user", "svc-" + i).build();
                        for (int attempt = 1; ; attempt++) {
                            try {
                                stubs.get(thread % stubs.size()).putSecret(put);
                                break;
                            } catch (StatusRuntimeException e) {
                                refusedWhileFilling.incrementAndGet();
                                if (attempt == 5) {
                                    throw e;
                                }
                            }
                        }
                    }
                } finally {
                    done.countDown();
                }
            });
        }
        done.await();
        System.out.printf("stored %,d secrets in %.1f s%n", SECRETS, (System.nanoTime() - start) / 1e9);
    }

    /**
     * The baselines: {@link #POOL} connections (as many as the service's reactive pool), each reading random rows in
     * a loop; optionally the read's whole transaction (the secret's row, the version's row) and the audit record
     * the service writes into its outbox in that transaction.
     */
    static Rate jdbcLoop(PostgresServer.Connection db, String what, boolean asTheServiceReads, boolean withAudit) throws Exception {
        AtomicBoolean measuring = new AtomicBoolean();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong done = new AtomicLong();
        CountDownLatch finished = new CountDownLatch(POOL);
        byte[] payload = new byte[400]; // about an audit event's size in the outbox
        RANDOM.nextBytes(payload);
        for (int t = 0; t < POOL; t++) {
            Thread.startVirtualThread(() -> {
                try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
                        PreparedStatement secret = c.prepareStatement("select * from secret where path = ?");
                        PreparedStatement version = c.prepareStatement("select * from secret_version where path = ? and version = ?");
                        PreparedStatement audit = c.prepareStatement("insert into sekisho_outbox (stream, payload) values (?, ?)")) {
                    c.setAutoCommit(!asTheServiceReads);
                    while (!stop.get()) {
                        String path = path(RANDOM.nextInt(SECRETS));
                        if (asTheServiceReads) {
                            secret.setString(1, path);
                            try (ResultSet rs = secret.executeQuery()) {
                                rs.next();
                            }
                        }
                        version.setString(1, path);
                        version.setInt(2, 1);
                        try (ResultSet rs = version.executeQuery()) {
                            rs.next();
                        }
                        if (withAudit) {
                            audit.setString(1, "bench-audit");
                            audit.setBytes(2, payload);
                            audit.executeUpdate();
                        }
                        if (asTheServiceReads) {
                            c.commit();
                        }
                        if (measuring.get()) {
                            done.incrementAndGet();
                        }
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                } finally {
                    finished.countDown();
                }
            });
        }
        Thread.sleep(WARMUP.toMillis() / 3);
        measuring.set(true);
        long start = System.nanoTime();
        Thread.sleep(MEASURE.toMillis());
        long count = done.get();
        double seconds = (System.nanoTime() - start) / 1e9;
        stop.set(true);
        finished.await();
        try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password())) {
            c.createStatement().execute("delete from sekisho_outbox where stream = 'bench-audit'");
        }
        return new Rate(what, count / seconds);
    }

    /** The no-work call: INVALID_ARGUMENT is its answer, anything else is a failure. */
    @SuppressWarnings("unchecked")
    static ListenableFuture<?> refusedAsExpected(ListenableFuture<?> call) {
        return Futures.catching((ListenableFuture<Object>) call, StatusRuntimeException.class, e -> {
            if (e.getStatus().getCode() != Status.Code.INVALID_ARGUMENT) {
                throw e;
            }
            return null;
        }, MoreExecutors.directExecutor());
    }

    static void createKey(String url, String token, String name) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url + "/v1/transit/keys/" + name))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("transit key not created: " + response.statusCode() + " " + response.body());
        }
    }

    static long rssMiB(long pid) {
        try {
            for (String line : java.nio.file.Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D+", "")) / 1024;
                }
            }
        } catch (java.io.IOException e) {
            return -1;
        }
        return -1;
    }
}
