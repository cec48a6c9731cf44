package dev.sekisho.auth.client;

import java.util.Map;

/** What Keycloak's token endpoint returned, reduced to what auth-service hands on. */
public record TokenSet(String accessToken, String refreshToken, long expiresIn, long refreshExpiresIn, String tokenType,
        String scope) {

    static TokenSet of(Map<String, Object> body) {
        return new TokenSet(text(body, "access_token"), text(body, "refresh_token"), number(body, "expires_in"),
                number(body, "refresh_expires_in"), text(body, "token_type"), text(body, "scope"));
    }

    private static String text(Map<String, Object> body, String name) {
        Object value = body.get(name);
        return value == null ? null : value.toString();
    }

    private static long number(Map<String, Object> body, String name) {
        return body.get(name) instanceof Number n ? n.longValue() : 0;
    }

    /**
     * The subject a Keycloak token (a refresh token too: it is a JWT) claims, read without checking its signature, or
     * "" when it has none: only to compare with a verified token's subject before Keycloak itself checks this one.
     */
    public static String subjectOf(String token) {
        try {
            String[] parts = token.split("\\.");
            Object subject = new io.vertx.core.json.JsonObject(
                    new String(java.util.Base64.getUrlDecoder().decode(parts[1]), java.nio.charset.StandardCharsets.UTF_8))
                    .getValue("sub");
            return subject == null ? "" : subject.toString();
        } catch (RuntimeException unreadable) {
            return "";
        }
    }

    /** Never print tokens. */
    @Override
    public String toString() {
        return "TokenSet[expiresIn=" + expiresIn + ", tokenType=" + tokenType + "]";
    }
}
