package dev.sekisho.common.tracing;

import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.grpc.StatusRuntimeException;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
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
        return Uni.createFrom().deferred(() -> step(tracer.spanBuilder(name), work, false));
    }

    /** {@code work} in a span named {@code name}, a child of {@code parent} (an outbox entry's producer, say). */
    public <T> Uni<T> traced(String name, Context parent, Supplier<Uni<T>> work) {
        return Uni.createFrom().deferred(() -> step(tracer.spanBuilder(name).setParent(parent), work, false));
    }

    /**
     * {@code work} done once for several requests (a batch of audit records written in one transaction), in a span
     * named {@code name} that stays current for all of it, on a context of its own (as {@link #tracedThroughout}).
     * The span is a child of the first member's context, so a lone request's trace shows the work beneath it, and
     * links the others' (at most {@value #LINKS}), which is how OpenTelemetry ties one operation to many traces.
     */
    public <T> Uni<T> tracedBatch(String name, List<Context> members, Supplier<Uni<T>> work) {
        return Uni.createFrom().deferred(() -> {
            SpanBuilder builder = tracer.spanBuilder(name).setAttribute("sekisho.batch.size", (long) members.size());
            if (!members.isEmpty()) {
                builder.setParent(members.get(0));
                SpanContext first = Span.fromContext(members.get(0)).getSpanContext();
                members.stream().skip(1).map(member -> Span.fromContext(member).getSpanContext())
                        .filter(link -> link.isValid() && !link.equals(first)).distinct().limit(LINKS).forEach(builder::addLink);
            }
            return step(builder, work, true);
        });
    }

    /** The links one batch span carries at most: OpenTelemetry's default span limit. */
    static final int LINKS = 128;

    /**
     * {@code work} in a span named {@code name} that stays current for all of it: on an event loop the work runs on a
     * duplicated Vert.x context of its own, which holds the span from start to end. For clients that send after they
     * are subscribed (the Vert.x HTTP client waits for a pooled connection, then reads the context), whose spans would
     * otherwise be siblings of the step instead of its children. Only for work that needs nothing the caller's context
     * holds (a Hibernate Reactive session, the request scope): the work's context is a new one.
     */
    public <T> Uni<T> tracedThroughout(String name, Supplier<Uni<T>> work) {
        return Uni.createFrom().deferred(() -> step(tracer.spanBuilder(name), work, true));
    }

    /**
     * The span is made current in a Vert.x duplicated context (the caller's, while the work is subscribed, or, with
     * {@code throughout}, one of the step's own), never in an event loop thread's own storage: an OpenTelemetry
     * context attached on an event loop outside a duplicated context lands there, and if its scope is closed elsewhere
     * or not at all, every later request on that event loop finds a server span current and opens none of its own
     * (Quarkus issue 56492; a CI run lost auth-service's REST logins from its traces). A caller on an event loop gets
     * the outcome back on its own context, so what follows runs in its trace context again (a gRPC or Redis client
     * answers elsewhere); a caller on a worker gets it where it arrives (a worker may be blocked waiting for it).
     */
    private <T> Uni<T> step(SpanBuilder builder, Supplier<Uni<T>> work, boolean throughout) {
        Span span = builder.startSpan();
        io.vertx.core.Context caller = io.vertx.core.Vertx.currentContext();
        boolean onEventLoop = caller != null && caller.isEventLoopContext();
        io.vertx.core.Context own = onEventLoop && (throughout || !VertxContext.isDuplicatedContext(caller))
                ? VertxContext.createNewDuplicatedContext(caller) : null;
        AtomicReference<Cancellable> running = new AtomicReference<>();
        Uni<T> step = Uni.createFrom().emitter(emitter -> {
            Runnable start = () -> {
                try {
                    running.set(work.get().subscribe().with(emitter::complete, emitter::fail));
                } catch (RuntimeException failure) {
                    emitter.fail(failure);
                }
            };
            if (own == null) {
                try (Scope ignored = span.makeCurrent()) { // the caller's duplicated context, or a thread not Vert.x's
                    start.run();
                }
                return;
            }
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
        return onEventLoop ? step.emitOn(task -> caller.runOnContext(ignored -> task.run())) : step;
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
