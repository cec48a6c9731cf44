package dev.sekisho.common.security;

/** A token that must not be honoured; the reason is safe to show (it never contains the token). */
public class InvalidToken extends RuntimeException {

    public InvalidToken(String reason) {
        super(reason, null, false, false);
    }
}
