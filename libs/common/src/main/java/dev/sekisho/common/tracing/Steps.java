package dev.sekisho.common.tracing;

import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.grpc.StatusRuntimeException;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.smallrye.common.vertx.VertxContext;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.Cancellable;

/**
 * Named spans around the steps that tell a request's story ({@code login budget decision}, {@code envelope decrypt},
 * {@code playbook action}), where {@code @WithSpan} cannot reach (a private step, a class that is not a bean) or a span
 * must continue another trace (an outbox delivery). The step's work starts while its span is current, so the
 * client spans beneath it (Redis, PostgreSQL, gRPC, HTTP) are its children. A failure sets the span's status with the
 * failure's kind only (a gRPC code or an exception's class), never its message, which may quote input.
 */
@ApplicationScoped
public class Steps {

    @Inject
    Tracer tracer;

    /** {@code work} in a span named {@code name}, a child of the current span. */
    public <T> Uni<T> traced(String name, Supplier<Uni<T>> work) {
        return traced(name, Context.current(), work);
    }

    /** {@code work} in a span named {@code name}, a child of {@code parent}. */
    public <T> Uni<T> traced(String name, Context parent, Supplier<Uni<T>> work) {
        return Uni.createFrom().emitter(emitter -> {
            // what follows the step runs in the context it was called from, not in the step's span (a gRPC client
            // answers on the context of its call, which would otherwise leak into the caller's next steps)
            Context outer = Context.current();
            Span span = tracer.spanBuilder(name).setParent(parent).startSpan();
            AtomicReference<Cancellable> running = new AtomicReference<>();
            // given up by the caller (a timeout): the work is cancelled and the span ends; a second end is ignored
            emitter.onTermination(() -> {
                Cancellable started = running.get();
                if (started != null) {
                    started.cancel();
                }
                span.end();
            });
            try (Scope ignored = span.makeCurrent()) {
                running.set(work.get().subscribe().with(item -> {
                    span.end();
                    try (Scope back = outer.makeCurrent()) {
                        emitter.complete(item);
                    }
                }, failure -> {
                    span.setStatus(StatusCode.ERROR, kind(failure));
                    span.end();
                    try (Scope back = outer.makeCurrent()) {
                        emitter.fail(failure);
                    }
                }));
            } catch (RuntimeException failure) {
                span.setStatus(StatusCode.ERROR, kind(failure));
                span.end();
                emitter.fail(failure);
            }
        });
    }

    /**
     * {@code work} in a span named {@code name} that stays current for all of it: the work runs on a duplicated Vert.x
     * context of its own, where the span is the current context from start to end, and its outcome is handed back on
     * the caller's context. For clients that send after they are subscribed (the Vert.x HTTP client waits for a pooled
     * connection, then reads the context), whose spans would otherwise be siblings of the step instead of its children.
     * Off a Vert.x thread it is {@link #traced(String, Supplier)}.
     */
    public <T> Uni<T> tracedThroughout(String name, Supplier<Uni<T>> work) {
        return Uni.createFrom().deferred(() -> {
            io.vertx.core.Context caller = io.vertx.core.Vertx.currentContext();
            if (caller == null) {
                return traced(name, work);
            }
            Span span = tracer.spanBuilder(name).setParent(Context.current()).startSpan();
            io.vertx.core.Context own = VertxContext.createNewDuplicatedContext(caller);
            return Uni.createFrom().<T>emitter(emitter -> own.runOnContext(ignored -> {
                span.makeCurrent(); // not closed: the context is this step's alone and ends with it
                try {
                    work.get().subscribe().with(emitter::complete, emitter::fail);
                } catch (RuntimeException failure) {
                    emitter.fail(failure);
                }
            })).onTermination().invoke((item, failure, cancelled) -> {
                if (failure != null) {
                    span.setStatus(StatusCode.ERROR, kind(failure));
                }
                span.end();
            }).emitOn(task -> caller.runOnContext(ignored -> task.run()));
        });
    }

    /** A synchronous step (a decryption, a signature) in a span named {@code name}. */
    public <T> T now(String name, Supplier<T> work) {
        Span span = tracer.spanBuilder(name).startSpan();
        try (Scope ignored = span.makeCurrent()) {
            return work.get();
        } catch (RuntimeException failure) {
            span.setStatus(StatusCode.ERROR, kind(failure));
            throw failure;
        } finally {
            span.end();
        }
    }

    static String kind(Throwable failure) {
        return failure instanceof StatusRuntimeException e ? e.getStatus().getCode().name() : failure.getClass().getSimpleName();
    }
}
