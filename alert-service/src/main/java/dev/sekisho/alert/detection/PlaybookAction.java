package dev.sekisho.alert.detection;

import java.time.Duration;
import java.util.Map;

/**
 * A first response a rule asks for when its alert opens ({@code x-playbook}): block the alert's address or user in
 * ratelimit-service for a duration, disable the user through auth-service, or revoke the API key in secrets-service.
 * {@code label} names the alert label that holds the target; {@code dryRun} records what would be done, and does
 * nothing.
 */
public record PlaybookAction(Kind kind, String label, Duration duration, boolean dryRun) {

    public enum Kind {
        BLOCK_IP("block_ip", "ip"), BLOCK_USER("block_user", "user"), DISABLE_USER("disable_user", "user"),
        REVOKE_API_KEY("revoke_api_key", "key_id");

        public final String name;
        public final String defaultLabel;

        Kind(String name, String defaultLabel) {
            this.name = name;
            this.defaultLabel = defaultLabel;
        }

        public static final Map<String, Kind> BY_NAME = Map.of("block_ip", BLOCK_IP, "block_user", BLOCK_USER, "disable_user", DISABLE_USER,
                "revoke_api_key", REVOKE_API_KEY);

        public boolean blocks() {
            return this == BLOCK_IP || this == BLOCK_USER;
        }
    }
}
