package dev.sekisho.it.bench;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;
import java.util.function.LongFunction;

import org.HdrHistogram.Histogram;

import dev.sekisho.auth.v1.AuthGrpc;
import dev.sekisho.auth.v1.IntrospectRequest;
import dev.sekisho.auth.v1.IntrospectResponse;
import dev.sekisho.testing.fixtures.KeycloakAdmin;
import dev.sekisho.testing.fixtures.KeycloakTokens;
import dev.sekisho.testing.servers.Ports;
import dev.sekisho.launcher.SekishoService;
import dev.sekisho.launcher.ServiceLauncher;
import dev.sekisho.testing.fixtures.Totp;
import io.envoyproxy.envoy.extensions.common.ratelimit.v3.RateLimitDescriptor;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitRequest;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;

/**
 * auth-service: POST /v1/auth/token (budget check in ratelimit-service, Keycloak's password+TOTP grant, MFA check,
 * outbox write) against the same grant sent straight to Keycloak in the same run, alternating, one user and one
 * fresh TOTP code per login; then Introspect at a fixed 2,000 requests/s and ext_authz Check at full speed.
 * Run with scripts/bench-auth.sh; method and figures in docs/benchmarks.md.
 */
public final class AuthBenchmark {

    static final int LOGINS = Integer.getInteger("bench.logins", 100);
    /**
     * Real logins each way before the measured ones: the successful path (the grant's answer, the amr check, the
     * token response) runs only on them, and a few hundred get it compiled as a service taking logins all day has it.
     */
    static final int WARMUP_LOGINS = Integer.getInteger("bench.warmup-logins", 300);
    static final int WARMUP_REFUSALS = Integer.getInteger("bench.warmup-refusals", 300);
    static final int WARMUP_LIMITED = Integer.getInteger("bench.warmup-limited", 5000);
    static final double INTROSPECT_RATE = Double.parseDouble(System.getProperty("bench.introspect-rate", "2000"));

    public static void main(String[] args) throws Exception {
        BenchServers servers = BenchServers.start("auth");
        Path root = servers.root;
        Path work = servers.work;
        String keycloakUrl = servers.keycloakUrl;
        String redisUrl = servers.redisUrl;
        Map<String, String> common = servers.environment(null);
        ServiceLauncher ratelimit = ServiceLauncher.start(root, SekishoService.RATELIMIT, Ports.free(),
                merge(common, Map.of("SEKISHO_RATELIMIT_POLICIES_DIR", root.resolve("deploy/ratelimit").toString())),
                work.resolve("ratelimit.log"));
        Runtime.getRuntime().addShutdownHook(new Thread(ratelimit::stop));
        // audit-service and alert-service are not started: their events wait in the outbox, off the measured path
        Map<String, String> authEnv = merge(common, Map.of(
                "QUARKUS_GRPC_CLIENTS_RATELIMIT_PORT", String.valueOf(ratelimit.port()),
                "QUARKUS_GRPC_CLIENTS_AUDIT_PORT", String.valueOf(Ports.free()),
                "QUARKUS_GRPC_CLIENTS_ALERTS_PORT", String.valueOf(Ports.free()),
                "SEKISHO_AUTH_TRUSTED_PROXIES", "127.0.0.1"));
        // -Dbench.env.NAME=value: extra environment for auth-service (to take parts of the login path out)
        System.getProperties().stringPropertyNames().stream().filter(k -> k.startsWith("bench.env."))
                .forEach(k -> authEnv.put(k.substring("bench.env.".length()), System.getProperty(k)));
        ServiceLauncher auth = ServiceLauncher.start(root, SekishoService.AUTH, Ports.free(), authEnv, work.resolve("auth.log"));
        // the yardstick: the same steps in the same order with nothing of the framework
        int leanPort = Ports.free();
        Process lean = Yardstick.start(LeanLoginServer.class, leanPort, work.resolve("lean.log"), keycloakUrl,
                String.valueOf(ratelimit.port()), redisUrl);
        String leanUrl = "http://127.0.0.1:" + leanPort + "/v1/auth/token";
        try {
            System.out.printf("# auth-service benchmark: %d logins each way, %d cores, %s%n%n", LOGINS,
                    Runtime.getRuntime().availableProcessors(), System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
            int users = 3 * (LOGINS + WARMUP_LOGINS);
            importUsers(users);
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

            // JIT warm-up of both paths (every JVM involved) with refused logins of unknown users: they run the same
            // code up to Keycloak's answer, and cost no TOTP codes
            for (int i = 0; i < WARMUP_REFUSALS; i++) {
                int n = i;
                // the first calls of a cold JVM may exceed the budget call's timeout (503); later ones may not
                expect(n < WARMUP_REFUSALS / 10 ? Set.of(401, 503) : Set.of(401),
                        () -> viaAuthAs(http, auth.url() + "/v1/auth/token", "warm-" + n, "Wrong-Password-1", "123456", n));
                expect(400, () -> directGrantAs(http, keycloakUrl, "warm-" + n, "Wrong-Password-1", "123456"));
                expect(401, () -> viaAuthAs(http, leanUrl, "warm-lean-" + n, "Wrong-Password-1", "123456", n));
            }

            // and of auth-service's own path (REST, budget in ratelimit-service, outbox), which logins alone call too
            // rarely to get compiled: attempts of one user past its budget, answered 429 without Keycloak
            for (int i = 0; i < WARMUP_LIMITED; i++) {
                for (String url : List.of(auth.url() + "/v1/auth/token", leanUrl)) {
                    HttpResponse<String> answer = viaAuthAs(http, url, "warm-limited", "Wrong-Password-1", "123456", i);
                    if (answer.statusCode() != 401 && answer.statusCode() != 429) {
                        throw new IllegalStateException("warm-up: HTTP " + answer.statusCode() + " " + answer.body());
                    }
                }
            }

            // and of ratelimit-service's side of the budget call: logins reach its allowed path (both Lua scripts)
            // far too rarely to get it compiled, so it is driven directly for a while with fresh usernames and addresses
            // with auth-service's token, as its own budget calls: the auth domain is decided only for ratelimit:decide:auth
            ManagedChannel budgetChannel = ManagedChannelBuilder.forAddress("127.0.0.1", ratelimit.port()).usePlaintext()
                    .directExecutor().intercept(MetadataUtils.newAttachHeadersInterceptor(bearer(KeycloakTokens.service("auth"))))
                    .build();
            LongFunction<RateLimitRequest> budgetRequest = seq -> RateLimitRequest.newBuilder()
                    .setDomain("auth")
                    .addDescriptors(descriptor("username", "warm-budget-" + seq))
                    .addDescriptors(descriptor("source_ip", "10." + (seq >> 16 & 255) + "." + (seq >> 8 & 255) + "." + (seq & 255)))
                    .build();
            RateLimitBenchmark.closedLoop("login budget warm-up", RateLimitBenchmark.grpc(budgetChannel, budgetRequest));
            // the same call as a login makes it: one at a time, the machine otherwise idle for 50 ms before each
            Histogram idleBudget = new Histogram(3);
            var budgetStub = RateLimitServiceGrpc.newBlockingStub(budgetChannel);
            for (int i = 0; i < 100; i++) {
                Thread.sleep(50);
                long start = System.nanoTime();
                budgetStub.shouldRateLimit(budgetRequest.apply(1_000_000 + i));
                idleBudget.recordValue(System.nanoTime() - start);
            }
            budgetChannel.shutdownNow();

            Histogram direct = new Histogram(3);
            Histogram through = new Histogram(3);
            Histogram leanLogins = new Histogram(3);
            Map<String, Double> authBefore = Map.of();
            Map<String, Double> ratelimitBefore = Map.of();
            for (int n = 0; n < LOGINS + WARMUP_LOGINS; n++) {
                int i = n;
                boolean measured = i >= WARMUP_LOGINS;
                if (i == WARMUP_LOGINS) {
                    authBefore = metrics(http, auth.managementUrl());
                    ratelimitBefore = metrics(http, ratelimit.managementUrl());
                }
                // rotate which goes first, so no path always meets a warmer Keycloak
                List<Runnable> paths = new ArrayList<>(List.of(
                        () -> record(measured ? direct : null, () -> directGrant(http, keycloakUrl, 3 * i)),
                        () -> record(measured ? through : null, () -> viaAuth(http, auth.url() + "/v1/auth/token", 3 * i + 1)),
                        () -> record(measured ? leanLogins : null, () -> viaAuth(http, leanUrl, 3 * i + 2))));
                java.util.Collections.rotate(paths, i % 3);
                paths.forEach(Runnable::run);
            }

            Map<String, Double> authAfter = metrics(http, auth.managementUrl());
            Map<String, Double> ratelimitAfter = metrics(http, ratelimit.managementUrl());

            String caller = KeycloakTokens.service("alert");
            String introspected = KeycloakTokens.service("ratelimit");
            ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", auth.port()).usePlaintext().directExecutor()
                    .intercept(MetadataUtils.newAttachHeadersInterceptor(bearer(caller))).build();
            RateLimitBenchmark.Call introspect = introspect(channel, introspected);
            // at full speed first: that also warms the JIT up before the fixed-rate run that the target is about
            RateLimitBenchmark.Result introspectMax = RateLimitBenchmark.closedLoop("Introspect, 32 callers", introspect);
            RateLimitBenchmark.Result fixed = RateLimitBenchmark.openLoop(
                    String.format("Introspect at a fixed %,.0f/s", INTROSPECT_RATE), introspect, INTROSPECT_RATE);
            RateLimitBenchmark.Result check = RateLimitBenchmark.closedLoop("ext_authz Check (bearer), 32 callers",
                    check(channel, introspected));
            channel.shutdownNow();

            double directMedian = direct.getValueAtPercentile(50) / 1e6;
            double throughMedian = through.getValueAtPercentile(50) / 1e6;
            System.out.println("| login path | p50 ms | p90 ms | p99 ms | logins/s (one caller) |");
            System.out.println("|---|---:|---:|---:|---:|");
            System.out.println(loginRow("password + TOTP grant straight to Keycloak", direct));
            System.out.println(loginRow("POST /v1/auth/token (budget, grant, MFA check, outbox)", through));
            System.out.println(loginRow("lean yardstick: the same steps on plain Vert.x, no framework", leanLogins));
            System.out.printf("%nauth-service adds %.1f%% to Keycloak's median (target <= 15%%); the lean yardstick %.1f%%%n%n",
                    100 * (throughMedian / directMedian - 1), 100 * (leanLogins.getValueAtPercentile(50) / 1e6 / directMedian - 1));
            // the services' own timers over the measured logins (means: Micrometer keeps count and sum)
            System.out.println("| inside the services, measured logins | calls | mean ms |");
            System.out.println("|---|---:|---:|");
            System.out.println(meanRow("auth-service: POST /v1/auth/token, first byte in to response end", authBefore, authAfter,
                    "http_server_requests_seconds", "uri=\"/v1/auth/token\""));
            System.out.println(meanRow("auth-service: budget call (gRPC client ShouldRateLimit)", authBefore, authAfter,
                    "grpc_client_processing_duration_seconds", "method=\"ShouldRateLimit\""));
            System.out.println(meanRow("ratelimit-service: ShouldRateLimit (gRPC server)", ratelimitBefore, ratelimitAfter,
                    "grpc_server_processing_duration_seconds", "method=\"ShouldRateLimit\""));
            System.out.println(meanRow("ratelimit-service: decision incl. Redis", ratelimitBefore, ratelimitAfter,
                    "sekisho_ratelimit_decision_seconds", ""));
            System.out.println(meanRow("auth-service: Keycloak grant", authBefore, authAfter,
                    "sekisho_keycloak_call_seconds", "endpoint=\"token\""));
            System.out.println(meanRow("auth-service: outbox writes (audit event; a signal too on refusals)", authBefore, authAfter,
                    "sekisho_outbox_write_seconds", ""));
            System.out.printf("| for comparison: ShouldRateLimit from the benchmark, one call after 50 ms idle (p50 / mean) | %d | %.2f / %.2f |%n",
                    idleBudget.getTotalCount(), idleBudget.getValueAtPercentile(50) / 1e6, idleBudget.getMean() / 1e6);
            System.out.println();
            System.out.println("| gRPC call | calls/s | p50 µs | p99 µs | p99.9 µs |");
            System.out.println("|---|---:|---:|---:|---:|");
            System.out.println(fixed.row());
            System.out.println(introspectMax.row());
            System.out.println(check.row());
            System.out.printf("%nIntrospect p99 at %,.0f/s: %.2f ms (target <= 5 ms)%n", INTROSPECT_RATE, fixed.p99Micros() / 1000);
            FAILURES.forEach((kind, count) -> System.out.printf("failed calls (warm-up included): %,d x %s%n", count.sum(), kind));
        } finally {
            lean.destroy();
            auth.stop();
            ratelimit.stop();
            servers.completed(); // the servers' data and logs go, also after a failure (as before)
            servers.close();
        }
    }

    /** Every sample of a service's Prometheus scrape, by its full name with labels. */
    static Map<String, Double> metrics(HttpClient http, String baseUrl) throws Exception {
        String text = http.send(HttpRequest.newBuilder(URI.create(baseUrl + "/q/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        Map<String, Double> samples = new HashMap<>();
        for (String line : text.split("\n")) {
            int space = line.lastIndexOf(' ');
            if (line.startsWith("#") || space < 0) {
                continue;
            }
            try {
                samples.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
            } catch (NumberFormatException e) {
                // not a sample line
            }
        }
        return samples;
    }

    /** Mean of a timer between two scrapes, summed over the series whose labels contain the filter. */
    static String meanRow(String name, Map<String, Double> before, Map<String, Double> after, String metric, String filter) {
        double[] count = new double[1];
        double[] sum = new double[1];
        after.forEach((key, value) -> {
            if (key.contains(filter) && (key.startsWith(metric + "_count") || key.startsWith(metric + "_sum"))) {
                double delta = value - before.getOrDefault(key, 0.0);
                if (key.startsWith(metric + "_count")) {
                    count[0] += delta;
                } else {
                    sum[0] += delta;
                }
            }
        });
        return count[0] == 0 ? String.format("| %s | 0 | (not recorded) |", name)
                : String.format("| %s | %,.0f | %.2f |", name, count[0], 1000 * sum[0] / count[0]);
    }

    interface Login {
        HttpResponse<String> send() throws Exception;
    }

    static void record(Histogram histogram, Login login) {
        long start = System.nanoTime();
        HttpResponse<String> response;
        try {
            response = login.send();
        } catch (Exception e) {
            throw new IllegalStateException("login not sent", e);
        }
        long took = System.nanoTime() - start;
        if (histogram == null && response.statusCode() == 503) {
            return; // warm-up on a cold JVM: a peer call may still exceed its timeout
        }
        if (response.statusCode() != 200) {
            throw new IllegalStateException("login failed: HTTP " + response.statusCode() + " " + response.body());
        }
        if (histogram != null) {
            histogram.recordValue(took);
        }
    }

    static String user(int i) {
        return "bench-" + i;
    }

    static String totpSecret(int i) {
        return "bench-totp-secret-" + i;
    }

    static final String PASSWORD = "Bench-Password-2026";

    static void expect(int status, Login login) throws Exception {
        expect(Set.of(status), login);
    }

    static void expect(Set<Integer> statuses, Login login) throws Exception {
        HttpResponse<String> response = login.send();
        if (!statuses.contains(response.statusCode())) {
            throw new IllegalStateException("expected HTTP " + statuses + ", got " + response.statusCode() + " " + response.body());
        }
    }

    static HttpResponse<String> directGrant(HttpClient http, String keycloakUrl, int i) throws Exception {
        return directGrantAs(http, keycloakUrl, user(i), PASSWORD, Totp.fresh(totpSecret(i)));
    }

    static HttpResponse<String> directGrantAs(HttpClient http, String keycloakUrl, String user, String password, String totp)
            throws Exception {
        String form = grantForm(user, password, totp);
        return http.send(HttpRequest.newBuilder(URI.create(keycloakUrl + "/realms/sekisho/protocol/openid-connect/token"))
                .header("Content-Type", "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString(form)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** The password + TOTP grant as auth-service's client sends it to Keycloak's token endpoint. */
    static String grantForm(String user, String password, String totp) {
        return form(Map.of("grant_type", "password", "client_id", "sekisho-auth", "client_secret", "sekisho-auth-dev-secret",
                "username", user, "password", password, "scope", "openid", "totp", totp));
    }

    static HttpResponse<String> viaAuth(HttpClient http, String tokenUrl, int i) throws Exception {
        return viaAuthAs(http, tokenUrl, user(i), PASSWORD, Totp.fresh(totpSecret(i)), i);
    }

    /** A login sent to {@code tokenUrl} (auth-service's {@code /v1/auth/token} or the yardstick's). */
    static HttpResponse<String> viaAuthAs(HttpClient http, String tokenUrl, String user, String password, String totp, int i)
            throws Exception {
        String body = String.format("{\"username\":\"%s\",\"password\":\"%s\",\"totp\":\"%s\"}", user, password, totp);
        // a different source address per login: the per-address budget is not what is measured
        return http.send(HttpRequest.newBuilder(URI.create(tokenUrl)).header("Content-Type", "application/json")
                .header("X-Forwarded-For", "198.51." + (i / 250 % 250) + "." + (i % 250 + 1))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Users with password and TOTP, through Keycloak's partial import as the master realm's admin. */
    static void importUsers(int count) {
        List<KeycloakAdmin.NewUser> users = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            users.add(new KeycloakAdmin.NewUser(user(i), PASSWORD, totpSecret(i)));
        }
        KeycloakAdmin.importUsers(users); // the benchmark's Keycloak is the shared one of this JVM
    }

    static RateLimitDescriptor descriptor(String key, String value) {
        return RateLimitDescriptor.newBuilder().addEntries(RateLimitDescriptor.Entry.newBuilder().setKey(key).setValue(value)).build();
    }

    static RateLimitBenchmark.Call introspect(ManagedChannel channel, String token) {
        var stub = AuthGrpc.newStub(channel);
        IntrospectRequest request = IntrospectRequest.newBuilder().setToken(token).build();
        return (seq, done, failed) -> stub.introspect(request, observer(done, failed, (IntrospectResponse r) -> r.getActive()));
    }

    static RateLimitBenchmark.Call check(ManagedChannel channel, String token) {
        var stub = AuthorizationGrpc.newStub(channel);
        CheckRequest request = CheckRequest.newBuilder().setAttributes(AttributeContext.newBuilder()
                .setRequest(AttributeContext.Request.newBuilder().setHttp(AttributeContext.HttpRequest.newBuilder()
                        .setMethod("GET").setPath("/api/orders").putHeaders("authorization", "Bearer " + token)))).build();
        return (seq, done, failed) -> stub.check(request, observer(done, failed, (CheckResponse r) -> r.getStatus().getCode() == 0));
    }

    /** Completes on an answer that says yes; anything else counts as a failed call. */
    /** Failed calls by kind, printed at the end: a benchmark that fails quietly measures nothing. */
    static final Map<String, java.util.concurrent.atomic.LongAdder> FAILURES = new java.util.concurrent.ConcurrentHashMap<>();

    static <T> StreamObserver<T> observer(Runnable done, java.util.function.Consumer<Throwable> failed,
            java.util.function.Predicate<T> ok) {
        return new StreamObserver<>() {
            boolean good;
            T last;

            @Override
            public void onNext(T value) {
                good = ok.test(value);
                last = value;
            }

            @Override
            public void onError(Throwable t) {
                FAILURES.computeIfAbsent(String.valueOf(t), k -> new java.util.concurrent.atomic.LongAdder()).increment();
                failed.accept(t);
            }

            @Override
            public void onCompleted() {
                if (good) {
                    done.run();
                } else {
                    FAILURES.computeIfAbsent("refused: " + String.valueOf(last).replace('\n', ' '),
                            k -> new java.util.concurrent.atomic.LongAdder()).increment();
                    failed.accept(new IllegalStateException("refused"));
                }
            }
        };
    }

    static String loginRow(String name, Histogram h) {
        return String.format("| %s | %.1f | %.1f | %.1f | %.1f |", name, h.getValueAtPercentile(50) / 1e6,
                h.getValueAtPercentile(90) / 1e6, h.getValueAtPercentile(99) / 1e6, 1e9 / h.getMean());
    }

    static Metadata bearer(String token) {
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
        return headers;
    }

    static String form(Map<String, String> fields) {
        StringJoiner joined = new StringJoiner("&");
        fields.forEach((k, v) -> joined.add(k + "=" + URLEncoder.encode(v, StandardCharsets.UTF_8)));
        return joined.toString();
    }

    static Map<String, String> merge(Map<String, String> a, Map<String, String> b) {
        Map<String, String> merged = new HashMap<>(a);
        merged.putAll(b);
        return merged;
    }
}
