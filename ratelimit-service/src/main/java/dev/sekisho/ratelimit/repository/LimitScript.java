package dev.sekisho.ratelimit.repository;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

import dev.sekisho.ratelimit.policy.Algorithm;

/** The Lua source of an algorithm and its SHA-1, the name Redis caches it under for EVALSHA. */
public enum LimitScript {

    FIXED_WINDOW("lua/fixed_window.lua", 3),
    SLIDING_WINDOW("lua/sliding_window.lua", 3),
    TOKEN_BUCKET("lua/token_bucket.lua", 4);

    private final String source;
    private final String sha;
    private final int argsPerKey;

    LimitScript(String resource, int argsPerKey) {
        try (InputStream in = LimitScript.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " missing");
            }
            this.source = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            this.sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(source.getBytes(StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        this.argsPerKey = argsPerKey;
    }

    public static LimitScript of(Algorithm algorithm) {
        return switch (algorithm) {
            case FIXED_WINDOW -> FIXED_WINDOW;
            case SLIDING_WINDOW -> SLIDING_WINDOW;
            case TOKEN_BUCKET -> TOKEN_BUCKET;
        };
    }

    public String source() {
        return source;
    }

    public String sha() {
        return sha;
    }

    public int argsPerKey() {
        return argsPerKey;
    }
}
