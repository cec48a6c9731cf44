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
        return Uni.createFrom().deferred(() -> traced(name, Context.current(), work));
    }

    /**
     * {@code work} in a span named {@code name}, a child of {@code parent}, current for all of the work: on a Vert.x
     * thread the work runs on a duplicated Vert.x context of its own, which holds the span from start to end, and the
     * outcome is handed back on the caller's Vert.x context, so what follows runs in the caller's trace context again.
     * The span is never attached to a thread: attached on an event loop outside a duplicated context, an OpenTelemetry
     * context lands in the thread's own storage, and one whose scope is closed elsewhere (or not at all) stays there;
     * every later request on that event loop then finds a server span already current and opens none of its own
     * (Quarkus issue 56492: whole logins went missing from traces that way). Clients that send after they are
     * subscribed (the Vert.x HTTP client waits for a pooled connection, then reads the context) thus also make their
     * spans the step's children. Off a Vert.x thread, the span is current while the work is subscribed.
     */
    public <T> Uni<T> traced(String name, Context parent, Supplier<Uni<T>> work) {
        return Uni.createFrom().deferred(() -> {
            Span span = tracer.spanBuilder(name).setParent(parent).startSpan();
            io.vertx.core.Context caller = io.vertx.core.Vertx.currentContext();
            AtomicReference<Cancellable> running = new AtomicReference<>();
            Uni<T> step = Uni.createFrom().emitter(emitter -> {
                Runnable start = () -> {
                    try {
                        running.set(work.get().subscribe().with(emitter::complete, emitter::fail));
                    } catch (RuntimeException failure) {
                        emitter.fail(failure);
                    }
                };
                if (caller == null) {
                    try (Scope ignored = span.makeCurrent()) {
                        start.run();
                    }
                    return;
                }
                io.vertx.core.Context own = VertxContext.createNewDuplicatedContext(caller);
                own.runOnContext(ignored -> {
                    span.makeCurrent(); // on this step's own duplicated context, which ends with it: never closed
                    start.run();
                });
            });
            step = step.onTermination().invoke((item, failure, cancelled) -> {
                if (cancelled) {
                    Cancellable started = running.get(); // given up by the caller (a timeout): the work stops too
                    if (started != null) {
                        started.cancel();
                    }
                }
                if (failure != null) {
                    span.setStatus(StatusCode.ERROR, kind(failure));
                }
                span.end();
            });
            return caller == null ? step : step.emitOn(task -> caller.runOnContext(ignored -> task.run()));
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
