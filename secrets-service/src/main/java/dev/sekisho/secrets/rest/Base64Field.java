package dev.sekisho.secrets.rest;

import java.util.Base64;

import dev.sekisho.common.problem.ProblemException;

/** Base64 fields of request bodies: a field that is not base64 is a 400 that names the field, never its content. */
final class Base64Field {

    private Base64Field() {
    }

    static byte[] decode(String field, String text) {
        if (text == null) {
            return null;
        }
        try {
            return Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            throw ProblemException.badRequest(field + " is not base64");
        }
    }

    static byte[] required(String field, String text) {
        if (text == null) {
            throw ProblemException.badRequest(field + " is required");
        }
        return decode(field, text);
    }

    static String encode(byte[] bytes) {
        return bytes == null ? null : Base64.getEncoder().encodeToString(bytes);
    }
}
