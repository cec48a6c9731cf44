package dev.sekisho.ratelimit;

import dev.sekisho.testing.resources.KeycloakTestResource;
import dev.sekisho.testing.resources.RedisClusterTestResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

/** The check API contract against a three-master Redis Cluster. */
@QuarkusTest
@WithTestResource(RedisClusterTestResource.class)
@WithTestResource(KeycloakTestResource.class)
class CheckApiClusterTest extends CheckApiContract {
}
