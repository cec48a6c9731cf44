package dev.sekisho.ratelimit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URL;
import java.util.UUID;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.envoyproxy.envoy.extensions.common.ratelimit.v3.RateLimitDescriptor;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitRequest;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitServiceGrpc;
import io.envoyproxy.envoy.type.v3.RateLimitUnit;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import dev.sekisho.testing.resources.RedisTestResource;

/**
 * Descriptors nobody configured, by the hundred thousand, each with a limit override: nothing the caller sends names a
 * metric series, no counter outlives its (capped) window, and the service's heap and Redis stay where they were.
 */
@QuarkusTest
@WithTestResource(RedisTestResource.class)
class HostileDescriptorsTest {

    private static final int DESCRIPTORS = 100_000;
    private static final int PER_REQUEST = 64;

    @TestHTTPResource("/")
    URL url;

    @Inject
    MeterRegistry metrics;

    @Inject
    RedisDataSource redis;

    @Test
    void aFloodOfDistinctDescriptorsLeavesMetricsHeapAndRedisFlat() throws InterruptedException {
        ManagedChannel channel = Grpc.channel(url);
        try {
            var envoy = RateLimitServiceGrpc.newBlockingStub(channel);
            flood(envoy, 2_000); // warm-up: the series and classes a first decision creates are not the flood's
            settle();
            long keysBefore = dbsize();
            long memoryBefore = redisMemory();
            int seriesBefore = series();
            long heapBefore = heapAfterGc();

            flood(envoy, DESCRIPTORS);

            assertTrue(series() <= seriesBefore + 1, "metric series grew from " + seriesBefore + " to " + series());
            long heapGrowth = heapAfterGc() - heapBefore;
            assertTrue(heapGrowth < 48L * 1024 * 1024, "heap grew by " + heapGrowth / 1024 + " KiB");
            // the overrides' one-second counters expire; wait for Redis to drop them, however slow the machine
            long deadline = System.nanoTime() + 120_000_000_000L;
            while (dbsize() > keysBefore + 200 && System.nanoTime() < deadline) {
                Thread.sleep(500);
            }
            assertTrue(dbsize() <= keysBefore + 200, "Redis keys went from " + keysBefore + " to " + dbsize());
            long memoryGrowth = redisMemory() - memoryBefore;
            assertTrue(memoryGrowth < 4L * 1024 * 1024, "Redis memory grew by " + memoryGrowth / 1024 + " KiB");
        } finally {
            channel.shutdownNow();
        }
    }

    /** An override's window is its counter's lifetime in Redis: past the configured cap (a day) it is refused. */
    @Test
    void overridesLongerThanTheCapAreRefused() {
        ManagedChannel channel = Grpc.channel(url);
        try {
            var envoy = RateLimitServiceGrpc.newBlockingStub(channel);
            for (RateLimitUnit unit : new RateLimitUnit[] {RateLimitUnit.WEEK, RateLimitUnit.MONTH, RateLimitUnit.YEAR}) {
                StatusRuntimeException refused = assertThrows(StatusRuntimeException.class, () -> envoy.shouldRateLimit(
                        RateLimitRequest.newBuilder().setDomain("hostile").addDescriptors(overridden("k", UUID.randomUUID().toString(), unit)).build()));
                assertEquals(Status.Code.INVALID_ARGUMENT, refused.getStatus().getCode(), unit.name());
                assertTrue(refused.getStatus().getDescription().contains("max-override-window"), refused.getStatus().getDescription());
            }
            RateLimitResponse day = envoy.shouldRateLimit(RateLimitRequest.newBuilder().setDomain("hostile")
                    .addDescriptors(overridden("k", UUID.randomUUID().toString(), RateLimitUnit.DAY)).build());
            assertEquals(RateLimitResponse.Code.OK, day.getOverallCode());
        } finally {
            channel.shutdownNow();
        }
    }

    /** Half of them plain (no rule, no override), half with a one-second override; all distinct in domain, key, value. */
    private static void flood(RateLimitServiceGrpc.RateLimitServiceBlockingStub envoy, int count) {
        for (int sent = 0; sent < count; ) {
            RateLimitRequest.Builder request = RateLimitRequest.newBuilder().setDomain("hostile-" + UUID.randomUUID());
            for (int i = 0; i < PER_REQUEST && sent < count; i++, sent++) {
                String value = UUID.randomUUID().toString();
                request.addDescriptors(sent % 2 == 0 ? Grpc.descriptor("key-" + value, value)
                        : overridden("key-" + value, value, RateLimitUnit.SECOND));
            }
            assertEquals(RateLimitResponse.Code.OK, envoy.shouldRateLimit(request.build()).getOverallCode());
        }
    }

    private static RateLimitDescriptor overridden(String key, String value, RateLimitUnit unit) {
        return Grpc.descriptor(key, value).toBuilder().setLimit(RateLimitDescriptor.RateLimitOverride.newBuilder()
                .setRequestsPerUnit(1_000).setUnit(unit)).build();
    }

    private int series() {
        return metrics.find("sekisho.ratelimit.decisions").counters().size();
    }

    private void settle() throws InterruptedException {
        Thread.sleep(1_500); // the warm-up's one-second counters expire
    }

    private long dbsize() {
        return redis.execute("DBSIZE").toLong();
    }

    private long redisMemory() {
        for (String line : redis.execute("INFO", "memory").toString().split("\r?\n")) {
            if (line.startsWith("used_memory:")) {
                return Long.parseLong(line.substring("used_memory:".length()).trim());
            }
        }
        throw new IllegalStateException("INFO memory has no used_memory");
    }

    private static long heapAfterGc() throws InterruptedException {
        Runtime runtime = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(200);
        }
        return runtime.totalMemory() - runtime.freeMemory();
    }
}
