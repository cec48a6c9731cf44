package dev.sekisho.common.problem;

import java.util.Map;

/**
 * Thrown by service code to answer with a problem. It carries no stack trace: it is an answer, not a fault.
 * Over gRPC the same exception becomes a status with the matching code ({@link GrpcProblems}).
 */
public class ProblemException extends RuntimeException {

    private final transient Problem problem;
    private final transient Map<String, String> headers;

    public ProblemException(ProblemType type, String detail) {
        this(Problem.of(type, detail), Map.of());
    }

    public ProblemException(Problem problem, Map<String, String> headers) {
        super(problem.detail(), null, false, false);
        this.problem = problem;
        this.headers = Map.copyOf(headers);
    }

    public Problem problem() {
        return problem;
    }

    /** Extra response headers, e.g. Retry-After. */
    public Map<String, String> headers() {
        return headers;
    }

    public static ProblemException badRequest(String detail) {
        return new ProblemException(ProblemType.BAD_REQUEST, detail);
    }

    public static ProblemException notFound(String detail) {
        return new ProblemException(ProblemType.NOT_FOUND, detail);
    }

    public static ProblemException unavailable(String detail, long retryAfterSeconds) {
        return new ProblemException(Problem.of(ProblemType.UNAVAILABLE, detail),
                Map.of("Retry-After", String.valueOf(retryAfterSeconds)));
    }
}
