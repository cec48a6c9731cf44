package dev.sekisho.ratelimit;

import dev.sekisho.testing.resources.RedisClusterTestResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

/** The concurrency contract against a three-master Redis Cluster. */
@QuarkusTest
@WithTestResource(RedisClusterTestResource.class)
class ConcurrencyClusterTest extends ConcurrencyContract {
}
