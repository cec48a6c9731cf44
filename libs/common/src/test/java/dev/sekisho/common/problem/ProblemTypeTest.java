package dev.sekisho.common.problem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.Arrays;
import java.util.HashSet;

import org.junit.jupiter.api.Test;

import io.grpc.Status;

class ProblemTypeTest {

    @Test
    void typeUrisAreUniqueAndStable() {
        var uris = Arrays.stream(ProblemType.values()).map(ProblemType::uri).toList();
        assertEquals(uris.size(), new HashSet<>(uris).size());
        assertEquals("https://sekisho.dev/problems/rate-limited", ProblemType.RATE_LIMITED.uri().toString());
    }

    @Test
    void frameworkStatusesMapToTheirGenericType() {
        assertEquals(ProblemType.NOT_FOUND, ProblemType.forStatus(404));
        assertEquals(ProblemType.BAD_REQUEST, ProblemType.forStatus(400));
        assertEquals(ProblemType.UNSUPPORTED_MEDIA_TYPE, ProblemType.forStatus(415));
        assertEquals(ProblemType.BAD_REQUEST, ProblemType.forStatus(418));
        assertEquals(ProblemType.INTERNAL, ProblemType.forStatus(502));
    }

    @Test
    void problemsBecomeTheGrpcCodeACallerExpects() {
        assertEquals(Status.Code.INVALID_ARGUMENT, GrpcProblems.code(ProblemType.VALIDATION_FAILED));
        assertEquals(Status.Code.UNAUTHENTICATED, GrpcProblems.code(ProblemType.UNAUTHORIZED));
        assertEquals(Status.Code.PERMISSION_DENIED, GrpcProblems.code(ProblemType.FORBIDDEN));
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, GrpcProblems.code(ProblemType.RATE_LIMITED));
        assertEquals(Status.Code.UNAVAILABLE, GrpcProblems.code(ProblemType.UNAVAILABLE));
        var status = GrpcProblems.toStatus(ProblemException.unavailable("Redis is unreachable", 1)).getStatus();
        assertEquals(Status.Code.UNAVAILABLE, status.getCode());
        assertEquals("Redis is unreachable", status.getDescription());
    }

    @Test
    void aProblemExceptionCarriesNoStackTrace() {
        assertFalse(ProblemException.badRequest("x").getStackTrace().length > 0);
    }
}
