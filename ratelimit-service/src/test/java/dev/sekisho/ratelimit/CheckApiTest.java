package dev.sekisho.ratelimit;

import dev.sekisho.testing.KeycloakTestResource;
import dev.sekisho.testing.RedisTestResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

/** The check API contract against a standalone Redis. */
@QuarkusTest
@WithTestResource(RedisTestResource.class)
@WithTestResource(KeycloakTestResource.class)
class CheckApiTest extends CheckApiContract {
}
