package dev.sekisho.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.sekisho.testing.servers.Ports;
import dev.sekisho.launcher.SekishoService;
import dev.sekisho.launcher.Suite;

/**
 * Two ratelimit-service processes share one Redis; eight clients, four on each, hit one key at once. The limit
 * holds across instances: exactly 40 admitted for the fixed window and the token bucket, never more for the
 * sliding window.
 */
class RateLimitAcrossInstancesTest {

    static final int CLIENTS = 8;
    static final int REQUESTS_EACH = 15;
    static final int LIMIT = 40;

    private static List<String> instances;

    @BeforeAll
    static void twoInstances() {
        Suite suite = RunningSuite.get();
        String second = suite.startAnother(SekishoService.RATELIMIT, Ports.free(), Duration.ofSeconds(120));
        instances = List.of(suite.url(SekishoService.RATELIMIT), second);
    }

    @Test
    void fixedWindowAdmitsExactlyTheLimitAcrossInstances() throws Exception {
        assertEquals(LIMIT, admitted("it-fixed-40", "fixed"));
    }

    @Test
    void tokenBucketAdmitsExactlyItsBurstAcrossInstances() throws Exception {
        assertEquals(LIMIT, admitted("it-bucket-40", "bucket"));
    }

    @Test
    void slidingWindowStaysWithinTheLimitAcrossInstances() throws Exception {
        int admitted = admitted("it-sliding-40", "sliding");
        assertTrue(admitted <= LIMIT, "admitted " + admitted);
    }

    /** Admitted out of CLIENTS x REQUESTS_EACH on one fresh key, retried when an hour boundary was crossed. */
    private static int admitted(String policy, String keyName) throws Exception {
        while (true) {
            long hour = System.currentTimeMillis() / 3_600_000;
            int admitted = blast(policy, keyName, UUID.randomUUID().toString());
            if (System.currentTimeMillis() / 3_600_000 == hour) {
                return admitted;
            }
        }
    }

    private static int blast(String policy, String keyName, String key) throws Exception {
        String body = "{\"policy\":\"" + policy + "\",\"keys\":{\"" + keyName + "\":\"" + key + "\"}}";
        ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Integer>> results = new ArrayList<>();
            for (int c = 0; c < CLIENTS; c++) {
                URI check = URI.create(instances.get(c % instances.size()) + "/v1/ratelimit/check");
                HttpClient client = HttpClient.newHttpClient();
                results.add(pool.submit(() -> {
                    start.await();
                    int ok = 0;
                    for (int i = 0; i < REQUESTS_EACH; i++) {
                        HttpResponse<String> response = client.send(HttpRequest.newBuilder(check)
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
                        if (response.statusCode() == 200) {
                            ok++;
                        } else if (response.statusCode() != 429) {
                            throw new AssertionError("unexpected " + response.statusCode() + ": " + response.body());
                        }
                    }
                    return ok;
                }));
            }
            start.countDown();
            int admitted = 0;
            for (Future<Integer> result : results) {
                admitted += result.get();
            }
            return admitted;
        } finally {
            pool.shutdownNow();
        }
    }
}
