package dev.sekisho.ratelimit;

import dev.sekisho.testing.resources.KeycloakTestResource;
import dev.sekisho.testing.resources.RedisTestResource;
import dev.sekisho.testing.fixtures.ServiceContractTest;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

@QuarkusTest
@WithTestResource(RedisTestResource.class)
@WithTestResource(KeycloakTestResource.class)
class RatelimitServiceContractTest extends ServiceContractTest {
}
