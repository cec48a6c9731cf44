package dev.sekisho.common.problem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.concurrent.CompletionException;

import org.junit.jupiter.api.Test;

import io.grpc.Status;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;

class GrpcErrorsTest {

    @Test
    void securityFailuresBecomeTheirGrpcCodesEvenWhenWrapped() {
        assertEquals(Status.Code.UNAUTHENTICATED, GrpcErrors.status(new UnauthorizedException()).getCode());
        assertEquals(Status.Code.PERMISSION_DENIED, GrpcErrors.status(new CompletionException(new ForbiddenException())).getCode());
    }

    @Test
    void anIdentityProvidersUnavailabilityStaysUnavailableInsideAnAuthenticationFailure() {
        // a revocation list that cannot be read is a 503 the caller retries, not a bad credential
        Throwable wrapped = new AuthenticationFailedException(ProblemException.unavailable("revocation list unreadable", 1));
        assertEquals(Status.Code.UNAVAILABLE, GrpcErrors.status(wrapped).getCode());
        assertEquals(Status.Code.UNAUTHENTICATED, GrpcErrors.status(new AuthenticationFailedException("invalid bearer token")).getCode());
        assertNull(GrpcErrors.known(new IllegalStateException("unknown")));
    }

    @Test
    void problemsKeepTheirCode() {
        assertEquals(Status.Code.INVALID_ARGUMENT, GrpcErrors.status(ProblemException.badRequest("domain is required")).getCode());
    }

    @Test
    void unexpectedFailuresSayNothingAboutTheirCause() {
        Status status = GrpcErrors.status(new IllegalStateException("password=hunter2 in a message"));
        assertEquals(Status.Code.INTERNAL, status.getCode());
        assertFalse(status.getDescription().contains("hunter2") || status.getDescription().contains("IllegalState"));
    }

    @Test
    void aWritePathsFailureIsUnavailableUnlessTheSuiteKnowsIt() {
        // the store failed: retry, in the service's words, nothing of the cause
        var failed = GrpcErrors.knownOrUnavailable(new IllegalStateException("insert failed for password=hunter2"), "Cannot write; retry.");
        assertEquals(Status.Code.UNAVAILABLE, failed.getStatus().getCode());
        assertEquals("Cannot write; retry.", failed.getStatus().getDescription());
        // the caller's token could not be checked: its own 503, not the store's; a bad token stays UNAUTHENTICATED
        var tokens = GrpcErrors.knownOrUnavailable(
                new AuthenticationFailedException(ProblemException.unavailable("revocation list unreadable", 1)), "Cannot write; retry.");
        assertEquals(Status.Code.UNAVAILABLE, tokens.getStatus().getCode());
        assertEquals("revocation list unreadable", tokens.getStatus().getDescription());
        assertEquals(Status.Code.UNAUTHENTICATED, GrpcErrors.knownOrUnavailable(
                new AuthenticationFailedException("invalid bearer token"), "Cannot write; retry.").getStatus().getCode());
    }
}
