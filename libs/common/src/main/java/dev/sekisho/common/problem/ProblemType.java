package dev.sekisho.common.problem;

import java.net.URI;

/**
 * The stable problem types of the suite. Clients branch on {@link #uri()}, never on the human-readable title or
 * detail. The list is documented in docs/problems.md.
 */
public enum ProblemType {

    BAD_REQUEST("bad-request", "Bad request", 400),
    VALIDATION_FAILED("validation-failed", "The request is not valid", 400),
    MALFORMED_BODY("malformed-body", "The request body cannot be read", 400),
    UNAUTHORIZED("unauthorized", "Authentication is required", 401),
    INVALID_CREDENTIALS("invalid-credentials", "The credentials are not valid", 401),
    FORBIDDEN("forbidden", "Not allowed", 403),
    NOT_FOUND("not-found", "Not found", 404),
    METHOD_NOT_ALLOWED("method-not-allowed", "Method not allowed", 405),
    NOT_ACCEPTABLE("not-acceptable", "Not acceptable", 406),
    CONFLICT("conflict", "Conflict", 409),
    PAYLOAD_TOO_LARGE("payload-too-large", "The request is too large", 413),
    UNSUPPORTED_MEDIA_TYPE("unsupported-media-type", "Unsupported media type", 415),
    RATE_LIMITED("rate-limited", "Too many requests", 429),
    INTERNAL("internal-error", "Internal error", 500),
    UNAVAILABLE("unavailable", "A dependency is unavailable", 503),
    /** Stored data that fails its cryptographic check (tampered, moved or damaged): never served. */
    INTEGRITY_FAILURE("integrity-failure", "Stored data failed its integrity check", 500);

    public static final String BASE = "https://sekisho.dev/problems/";

    private final URI uri;
    private final String title;
    private final int status;

    ProblemType(String slug, String title, int status) {
        this.uri = URI.create(BASE + slug);
        this.title = title;
        this.status = status;
    }

    public URI uri() {
        return uri;
    }

    public String title() {
        return title;
    }

    public int status() {
        return status;
    }

    /** The generic type for an HTTP status the framework produced (unknown route, wrong method, ...). */
    public static ProblemType forStatus(int status) {
        for (ProblemType type : values()) {
            if (type.status == status && type != VALIDATION_FAILED && type != MALFORMED_BODY) {
                return type;
            }
        }
        return status >= 500 ? INTERNAL : BAD_REQUEST;
    }
}
