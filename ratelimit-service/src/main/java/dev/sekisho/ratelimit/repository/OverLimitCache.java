package dev.sekisho.ratelimit.repository;

import java.util.concurrent.TimeUnit;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;

import dev.sekisho.ratelimit.config.RateLimitSettings;

/**
 * Counters known to be over their limit, kept until the moment they may pass again, so that a flood against an
 * exhausted key is answered from memory instead of Redis. Bounded in size; each entry expires on its own time.
 */
@ApplicationScoped
public class OverLimitCache {

    private final boolean enabled;
    private final Cache<String, Long> untilMillis;

    @Inject
    public OverLimitCache(RateLimitSettings settings) {
        this.enabled = settings.localCacheEnabled();
        this.untilMillis = Caffeine.newBuilder()
                .maximumSize(settings.localCacheSize())
                .expireAfter(new Expiry<String, Long>() {
                    @Override
                    public long expireAfterCreate(String key, Long until, long currentTime) {
                        return TimeUnit.MILLISECONDS.toNanos(Math.max(0, until - System.currentTimeMillis()));
                    }

                    @Override
                    public long expireAfterUpdate(String key, Long until, long currentTime, long currentDuration) {
                        return expireAfterCreate(key, until, currentTime);
                    }

                    @Override
                    public long expireAfterRead(String key, Long until, long currentTime, long currentDuration) {
                        return currentDuration;
                    }
                })
                .build();
    }

    /** Milliseconds until the key may pass again, or 0 when it is not known to be over its limit. */
    public long retryAfter(String key) {
        if (!enabled) {
            return 0;
        }
        Long until = untilMillis.getIfPresent(key);
        return until == null ? 0 : Math.max(0, until - System.currentTimeMillis());
    }

    public void overLimit(String key, long retryAfterMillis) {
        if (enabled && retryAfterMillis > 0) {
            untilMillis.put(key, System.currentTimeMillis() + retryAfterMillis);
        }
    }

    public boolean enabled() {
        return enabled;
    }
}
