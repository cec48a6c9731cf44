package dev.sekisho.ratelimit;

import dev.sekisho.testing.RedisTestResource;
import dev.sekisho.testing.ServiceContractTest;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

@QuarkusTest
@WithTestResource(RedisTestResource.class)
class RatelimitServiceContractTest extends ServiceContractTest {
}
