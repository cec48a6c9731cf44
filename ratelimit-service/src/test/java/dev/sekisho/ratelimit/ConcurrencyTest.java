package dev.sekisho.ratelimit;

import dev.sekisho.testing.resources.RedisTestResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

/** The concurrency contract against a standalone Redis. */
@QuarkusTest
@WithTestResource(RedisTestResource.class)
class ConcurrencyTest extends ConcurrencyContract {
}
