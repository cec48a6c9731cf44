package dev.sekisho.common.tracing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.ContextStorage;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.smallrye.common.vertx.VertxContext;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;

/**
 * Steps against a real Vert.x event loop and the OpenTelemetry SDK: the step's span is current for all of its work,
 * what follows runs in the caller's trace context again, and nothing is left in an event loop thread's own context
 * storage, where it would become the parent of (and so suppress) the next request's server span.
 */
class StepsTest {

    private static Vertx vertx;
    private static SdkTracerProvider provider;
    private static final List<SpanData> ENDED = new CopyOnWriteArrayList<>();
    private static Steps steps;

    @BeforeAll
    static void start() {
        vertx = Vertx.vertx();
        provider = SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(new SpanExporter() {
            @Override
            public CompletableResultCode export(java.util.Collection<SpanData> spans) {
                ENDED.addAll(spans);
                return CompletableResultCode.ofSuccess();
            }

            @Override
            public CompletableResultCode flush() {
                return CompletableResultCode.ofSuccess();
            }

            @Override
            public CompletableResultCode shutdown() {
                return CompletableResultCode.ofSuccess();
            }
        })).build();
        steps = new Steps();
        steps.tracer = provider.get("steps-test");
    }

    @AfterAll
    static void stop() {
        provider.close();
        vertx.close();
    }

    @Test
    void theStepIsCurrentForItsWorkAndTheCallersContextForWhatFollows() throws Exception {
        Span request = provider.get("steps-test").spanBuilder("request").startSpan();
        CompletableFuture<SpanContext[]> seen = new CompletableFuture<>();
        io.vertx.core.Context duplicated = VertxContext.createNewDuplicatedContext(vertx.getOrCreateContext());
        duplicated.runOnContext(ignored -> {
            request.makeCurrent(); // as the HTTP server's tracing does: the request's context lives in its duplicated context
            SpanContext[] inside = new SpanContext[1];
            steps.traced("a step", () -> {
                inside[0] = Span.current().getSpanContext();
                // answered later from another thread, as a gRPC or Redis client does
                return Uni.createFrom().completionStage(CompletableFuture.supplyAsync(() -> "done",
                        CompletableFuture.delayedExecutor(50, TimeUnit.MILLISECONDS)));
            }).subscribe().with(item -> seen.complete(new SpanContext[] { inside[0], Span.current().getSpanContext() }),
                    seen::completeExceptionally);
        });
        SpanContext[] contexts = seen.get(30, TimeUnit.SECONDS);
        SpanData step = ENDED.stream().filter(s -> s.getName().equals("a step")).findFirst().orElseThrow();
        assertEquals(step.getSpanContext(), contexts[0], "the step's span is current while it works");
        assertEquals(request.getSpanContext().getSpanId(), step.getParentSpanId(), "the step is the request's child");
        assertEquals(request.getSpanContext(), contexts[1], "what follows the step is in the request's context again");
        request.end();
    }

    @Test
    void aBatchIsAChildOfItsFirstMemberAndLinksTheOthers() throws Exception {
        var tracer = provider.get("steps-test");
        List<Span> requests = List.of(tracer.spanBuilder("first").startSpan(), tracer.spanBuilder("second").startSpan(),
                tracer.spanBuilder("third").startSpan());
        List<Context> members = new java.util.ArrayList<>(requests.stream().map(Context.root()::with).toList());
        members.add(Context.root().with(requests.get(1))); // two records of one request: linked once
        CompletableFuture<SpanContext> inside = new CompletableFuture<>();
        vertx.getOrCreateContext().runOnContext(ignored -> steps.tracedBatch("a batch", members, () -> {
            inside.complete(Span.current().getSpanContext());
            return Uni.createFrom().item("written");
        }).subscribe().with(item -> { }, inside::completeExceptionally));
        SpanContext current = inside.get(30, TimeUnit.SECONDS);
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (ENDED.stream().noneMatch(s -> s.getName().equals("a batch")) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        SpanData batch = ENDED.stream().filter(s -> s.getName().equals("a batch")).findFirst().orElseThrow();
        requests.forEach(Span::end);
        assertEquals(batch.getSpanContext(), current, "the batch's span is current while it works");
        assertEquals(requests.get(0).getSpanContext().getSpanId(), batch.getParentSpanId(), "a child of the first member");
        assertEquals(List.of(requests.get(1).getSpanContext(), requests.get(2).getSpanContext()),
                batch.getLinks().stream().map(link -> link.getSpanContext()).toList(), "the other members, each linked once");
        assertEquals(4L, batch.getAttributes().get(io.opentelemetry.api.common.AttributeKey.longKey("sekisho.batch.size")));
    }

    @Test
    void nothingIsLeftInAnEventLoopThreadsOwnStorage() throws Exception {
        // on the event loop outside any duplicated context: where a context, once attached, lands in the thread's storage
        io.vertx.core.Context root = vertx.getOrCreateContext();
        CompletableFuture<Void> done = new CompletableFuture<>();
        Span outer = provider.get("steps-test").spanBuilder("outer").startSpan();
        root.runOnContext(ignored -> steps.traced("from the event loop", Context.root().with(outer), () -> Uni.createFrom()
                .completionStage(CompletableFuture.supplyAsync(() -> "x", CompletableFuture.delayedExecutor(20, TimeUnit.MILLISECONDS))))
                .subscribe().with(item -> done.complete(null), done::completeExceptionally));
        done.get(30, TimeUnit.SECONDS);
        outer.end();
        CompletableFuture<Context> after = new CompletableFuture<>();
        root.runOnContext(ignored -> after.complete(ContextStorage.defaultStorage().current()));
        Context left = after.get(30, TimeUnit.SECONDS);
        assertTrue(left == null || left == Context.root(), "left in the event loop thread's storage: " + left);
        assertTrue(ENDED.stream().anyMatch(s -> s.getName().equals("from the event loop")
                && s.getParentSpanId().equals(outer.getSpanContext().getSpanId())), "the step's span, a child of its parent");
    }

    @Test
    void aStepGivenUpByItsCallerEndsItsSpanAndStopsItsWork() throws Exception {
        CompletableFuture<Boolean> cancelled = new CompletableFuture<>();
        CompletableFuture<Throwable> failed = new CompletableFuture<>();
        vertx.getOrCreateContext().runOnContext(ignored -> steps.traced("never answered",
                () -> Uni.createFrom().<String>nothing().onCancellation().invoke(() -> cancelled.complete(true)))
                .ifNoItem().after(Duration.ofMillis(100)).fail()
                .subscribe().with(item -> failed.complete(null), failed::complete));
        assertFalse(failed.get(30, TimeUnit.SECONDS) == null, "the caller's timeout fails the step");
        assertTrue(cancelled.get(30, TimeUnit.SECONDS), "the work is cancelled");
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (ENDED.stream().noneMatch(s -> s.getName().equals("never answered"))) {
            assertTrue(System.nanoTime() < deadline, "the span did not end");
            Thread.sleep(20);
        }
    }

    @Test
    void theWorkRunsInTheCallersContextWithWhatItHolds() throws Exception {
        // a Hibernate Reactive session or the request scope lives in the caller's duplicated context: the work must see it
        CompletableFuture<Object> seen = new CompletableFuture<>();
        io.vertx.core.Context duplicated = VertxContext.createNewDuplicatedContext(vertx.getOrCreateContext());
        duplicated.runOnContext(ignored -> {
            duplicated.putLocal("session", "the caller's");
            steps.traced("uses the session", () -> Uni.createFrom().item(() -> io.vertx.core.Vertx.currentContext().getLocal("session")))
                    .subscribe().with(seen::complete, seen::completeExceptionally);
        });
        assertEquals("the caller's", seen.get(30, TimeUnit.SECONDS));
    }

    @Test
    void aCallerOnAWorkerWaitingForTheStepIsAnswered() throws Exception {
        // blocking code awaits the step on its worker context: the answer must not be queued behind the waiting task
        CompletableFuture<String> answered = new CompletableFuture<>();
        vertx.getOrCreateContext().executeBlocking(() -> steps.traced("awaited", () -> Uni.createFrom().completionStage(
                CompletableFuture.supplyAsync(() -> "answer", CompletableFuture.delayedExecutor(20, TimeUnit.MILLISECONDS))))
                .await().atMost(Duration.ofSeconds(20)))
                .onComplete(result -> {
                    if (result.succeeded()) {
                        answered.complete(result.result());
                    } else {
                        answered.completeExceptionally(result.cause());
                    }
                });
        assertEquals("answer", answered.get(30, TimeUnit.SECONDS));
    }
}
