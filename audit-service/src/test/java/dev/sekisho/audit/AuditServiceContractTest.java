package dev.sekisho.audit;

import dev.sekisho.testing.KeycloakTestResource;
import dev.sekisho.testing.PostgresTestResource;
import dev.sekisho.testing.RedisTestResource;
import dev.sekisho.testing.ServiceContractTest;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

@QuarkusTest
@WithTestResource(PostgresTestResource.class)
@WithTestResource(RedisTestResource.class)
@WithTestResource(KeycloakTestResource.class)
class AuditServiceContractTest extends ServiceContractTest {
}
