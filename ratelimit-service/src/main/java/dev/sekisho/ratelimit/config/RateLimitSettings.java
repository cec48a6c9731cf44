package dev.sekisho.ratelimit.config;

import java.time.Duration;
import java.util.List;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Every setting of ratelimit-service ({@code sekisho.ratelimit.*}; environment: {@code SEKISHO_RATELIMIT_*}). */
@ConfigMapping(prefix = "sekisho.ratelimit")
public interface RateLimitSettings {

    /** Directory of policy files (*.yaml, *.yml), one domain each; watched for changes. */
    @WithDefault("config/ratelimit")
    String policiesDir();

    /** How often the policy directory is checked for changes. */
    @WithDefault("2s")
    Duration reloadInterval();

    /** How long a decision may wait on Redis before each policy's fail mode decides instead. */
    @WithDefault("50ms")
    Duration redisTimeout();

    /** Shared long-lived Redis connections for decisions asked outside the event loops (each event loop has its own). */
    @WithDefault("2")
    int redisConnections();

    /** Decide, count and report, but allow everything (global shadow mode). */
    @WithDefault("false")
    boolean shadowMode();

    /** Add RateLimit-Limit / -Remaining / -Reset to Envoy responses. */
    @WithDefault("true")
    boolean responseHeaders();

    /** Fail mode for rules that do not name one: open (allow, marked degraded) or closed (deny, UNAVAILABLE). */
    @WithDefault("open")
    String defaultFailMode();

    /** Keep keys that are over their limit in memory until their reset, so Redis is spared. */
    @WithDefault("true")
    boolean localCacheEnabled();

    /** Upper bound on keys held by the local over-limit cache. */
    @WithDefault("100000")
    long localCacheSize();

    /**
     * Domains Sekisho itself spends (the login budget), decided only for callers whose verified token has
     * {@code ratelimit:decide:<domain>}, in addition to those marked {@code protected: true} in their policy file.
     * Everything else stays open to Envoy, as its protocol requires.
     */
    @WithDefault("auth")
    List<String> protectedDomains();

    /** Input limits: anything beyond them is INVALID_ARGUMENT / 400. */
    Limits limits();

    /** How often each instance refreshes its copy of the active blocks. */
    @WithDefault("1s")
    Duration blocksRefreshInterval();

    /** Descriptor entry keys that carry an identity a block can name, as entry-key:identity-type pairs. */
    @WithDefault("remote_address:ip,masked_remote_address:ip,ip:ip,source_ip:ip,user:user,user_id:user,username:user,api_key:api_key,client_id:client,client:client")
    List<String> identityKeys();

    interface Limits {
        @WithDefault("64")
        int maxDescriptors();

        @WithDefault("16")
        int maxEntries();

        @WithDefault("256")
        int maxKeyLength();

        @WithDefault("1024")
        int maxValueLength();

        @WithDefault("1000000")
        long maxHitsAddend();

        /**
         * The longest window a caller's limit override may have (Envoy's unit: second to day; week, month and year are
         * refused by default): an override's window is the lifetime of its counter in Redis.
         */
        @WithDefault("1d")
        java.time.Duration maxOverrideWindow();
    }
}
