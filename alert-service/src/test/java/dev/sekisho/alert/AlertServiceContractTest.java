package dev.sekisho.alert;

import dev.sekisho.testing.PostgresTestResource;
import dev.sekisho.testing.RedisTestResource;
import dev.sekisho.testing.ServiceContractTest;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

@QuarkusTest
@WithTestResource(PostgresTestResource.class)
@WithTestResource(RedisTestResource.class)
class AlertServiceContractTest extends ServiceContractTest {
}
