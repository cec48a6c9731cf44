package dev.sekisho.alert.config;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;

/** Settings of alert-service ({@code sekisho.alert.*}; environment {@code SEKISHO_ALERT_*}). */
@ConfigMapping(prefix = "sekisho.alert")
public interface AlertSettings {

    /**
     * Where the detection rules are: directories of Sigma YAML files (comma-separated: Sekisho's own and a team's),
     * compiled as one set and reloaded when any file changes.
     */
    @WithName("rules-dir")
    @WithDefault("deploy/alert/rules")
    List<String> rulesDirs();

    @WithDefault("5s")
    Duration reloadInterval();

    /** Signal types accepted besides Sekisho's own (libs/api {@code SignalTypes}), for tools that send their own. */
    Optional<List<String>> extraSignalTypes();

    /** How long a correlation's Redis call may take before the signal is answered UNAVAILABLE (the producer retries). */
    @WithDefault("500ms")
    Duration redisTimeout();

    /** Firings kept per alert with their evidence and history; past it only the count and last time change. */
    @WithDefault("100")
    int maxFiringsPerAlert();

    /** How often x-absence correlations look for groups gone silent. */
    @WithDefault("5s")
    Duration absenceInterval();

    /** How far ahead of this clock a signal's time may be (a producer's clock skew) before it is refused. */
    @WithDefault("5m")
    Duration maxClockSkew();

    /** How old a signal may be (an outbox delivering late after an outage) before it is refused. */
    @WithDefault("7d")
    Duration maxSignalAge();

    /** Networks webhooks may reach although private (as each receiver's {@code allowed_networks}). */
    Optional<List<String>> webhookAllowedNetworks();

    /** How long a webhook may take to connect and answer before the attempt counts as failed. */
    @WithDefault("5s")
    Duration webhookTimeout();

    /** Where the routing files are (route tree, receivers, inhibitions, escalations): one directory of YAML files. */
    @WithDefault("deploy/alert/routing")
    String routingDir();

    /** How often alert groups, notifications and escalations that are due are looked at. */
    @WithDefault("1s")
    Duration notifyInterval();

    /** Attempts per notification before it is given up (the delivery log keeps it as failed). */
    @WithDefault("12")
    int maxAttempts();

    /** The first retry's delay; each next one doubles, with full jitter, up to {@code retry-max-delay}. */
    @WithDefault("1s")
    Duration retryBaseDelay();

    @WithDefault("10m")
    Duration retryMaxDelay();

    /** The playbooks' first responses: their rate cap, who and what they never touch, and the calls to the peers. */
    Playbooks playbooks();

    interface Playbooks {

        /** Actions of one kind carried out per minute, by all instances together; past it they are recorded as capped. */
        @WithDefault("10")
        int maxPerMinute();

        /** Users no playbook blocks or disables (besides service accounts, always spared; auth-service spares admins). */
        Optional<List<String>> protectedUsers();

        /** Addresses no playbook blocks. */
        @WithDefault("127.0.0.0/8,::1/128")
        List<String> protectedNetworks();

        /** Attempts of an action whose peer does not answer, before it is recorded as failed. */
        @WithDefault("5")
        int maxAttempts();

        Peer ratelimit();

        Peer auth();

        Peer secrets();
    }

    interface Peer extends dev.sekisho.peers.CallPolicy {
        @Override
        @WithDefault("2s")
        Duration timeout();
    }
}
