package dev.sekisho.ratelimit;

import dev.sekisho.testing.resources.RedisTestResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

/** The Envoy API contract against a standalone Redis. */
@QuarkusTest
@WithTestResource(RedisTestResource.class)
class EnvoyApiTest extends EnvoyApiContract {
}
