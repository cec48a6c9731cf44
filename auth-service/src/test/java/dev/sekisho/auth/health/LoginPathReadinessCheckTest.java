package dev.sekisho.auth.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeoutException;

import org.junit.jupiter.api.Test;

import io.grpc.Status;

/** What readiness says when the attempt budget cannot be decided: enough to tell a refused certificate from a refused token. */
class LoginPathReadinessCheckTest {

    @Test
    void aRefusalNamesItsCodeAndThePeersDescription() {
        assertEquals("UNAUTHENTICATED (this service requires a client certificate (mTLS) for gRPC)", LoginPathReadinessCheck.why(
                Status.UNAUTHENTICATED.withDescription("this service requires a client certificate (mTLS) for gRPC").asRuntimeException()));
        assertEquals("UNAVAILABLE", LoginPathReadinessCheck.why(Status.UNAVAILABLE.asRuntimeException()));
    }

    @Test
    void aLongDescriptionIsCutAndAnyOtherFailureIsItsClass() {
        String why = LoginPathReadinessCheck.why(Status.UNAUTHENTICATED.withDescription("x".repeat(500)).asRuntimeException());
        assertTrue(why.length() < 200 && why.endsWith("…)"), why);
        assertEquals("TimeoutException", LoginPathReadinessCheck.why(new TimeoutException("slow")));
    }
}
