package dev.sekisho.ratelimit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.Duration;
import java.util.UUID;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import dev.sekisho.testing.resources.RedisTestResource;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

/** The service's Redis client talks to the real redis-server the test resources started. */
@QuarkusTest
@WithTestResource(RedisTestResource.class)
class RedisRoundTripTest {

    @Inject
    ReactiveRedisDataSource redis;

    @Test
    void valuesWrittenThroughTheServiceClientComeBack() {
        String key = "{probe}:" + UUID.randomUUID();
        var values = redis.value(String.class);
        values.setex(key, 60, "関所").await().atMost(Duration.ofSeconds(5));
        assertEquals("関所", values.get(key).await().atMost(Duration.ofSeconds(5)));
        redis.key().del(key).await().atMost(Duration.ofSeconds(5));
        assertNull(values.get(key).await().atMost(Duration.ofSeconds(5)));
    }

    @Test
    void redisReportsItsServerVersion() {
        var info = redis.execute("INFO", "server").await().atMost(Duration.ofSeconds(5)).toString();
        assertEquals(true, info.contains("redis_version:7."), info);
    }
}
