package dev.sekisho.ratelimit;

import static dev.sekisho.ratelimit.Grpc.descriptor;
import static dev.sekisho.ratelimit.Grpc.request;
import static dev.sekisho.ratelimit.Grpc.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URL;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;

import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitRequest;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitServiceGrpc;
import io.grpc.ManagedChannel;
import io.quarkus.test.common.http.TestHTTPResource;

/**
 * Many clients on one key at once, each on its own connection: the atomic scripts admit exactly the limit
 * (fixed window, token bucket) and never more than it (sliding window), whatever the interleaving.
 */
abstract class ConcurrencyContract {

    static final int CLIENTS = 16;
    static final int REQUESTS_EACH = 10;
    static final int LIMIT = 50;

    @TestHTTPResource("/")
    URL url;

    @Test
    void fixedWindowAdmitsExactlyTheLimit() throws Exception {
        assertEquals(LIMIT, admittedWithinOneHour("fixed_50"));
    }

    @Test
    void tokenBucketAdmitsExactlyItsBurst() throws Exception {
        // 50 per hour refills one token every 72 s: none arrive during the test
        assertEquals(LIMIT, admittedWithinOneHour("bucket_50"));
    }

    @Test
    void slidingWindowNeverAdmitsMoreThanTheLimit() throws Exception {
        int admitted = admittedWithinOneHour("sliding_50");
        assertTrue(admitted <= LIMIT, "admitted " + admitted);
        assertEquals(LIMIT, admitted, "with no previous window the estimate is exact");
    }

    /** Admitted requests out of CLIENTS x REQUESTS_EACH on one fresh key; retried if an hour boundary was crossed. */
    private int admittedWithinOneHour(String key) throws Exception {
        while (true) {
            long hourBefore = System.currentTimeMillis() / 3_600_000;
            int admitted = blast(request("test", descriptor(key, unique())));
            if (System.currentTimeMillis() / 3_600_000 == hourBefore) {
                return admitted;
            }
        }
    }

    private int blast(RateLimitRequest request) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
        List<ManagedChannel> channels = new ArrayList<>();
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Integer>> results = new ArrayList<>();
            for (int c = 0; c < CLIENTS; c++) {
                ManagedChannel channel = Grpc.channel(url);
                channels.add(channel);
                var stub = RateLimitServiceGrpc.newBlockingStub(channel);
                results.add(pool.submit(() -> {
                    start.await();
                    int ok = 0;
                    for (int i = 0; i < REQUESTS_EACH; i++) {
                        if (stub.shouldRateLimit(request).getOverallCode() == RateLimitResponse.Code.OK) {
                            ok++;
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
            channels.forEach(ManagedChannel::shutdownNow);
        }
    }
}
