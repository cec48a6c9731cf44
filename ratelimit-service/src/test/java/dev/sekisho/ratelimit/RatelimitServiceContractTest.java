package dev.sekisho.ratelimit;

import dev.sekisho.testing.resources.RedisTestResource;
import dev.sekisho.testing.fixtures.ServiceContractTest;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

@QuarkusTest
@WithTestResource(RedisTestResource.class)
class RatelimitServiceContractTest extends ServiceContractTest {
}
