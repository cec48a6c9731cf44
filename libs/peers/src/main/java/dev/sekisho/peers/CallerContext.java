package dev.sekisho.peers;

import java.util.concurrent.Executor;

import io.vertx.core.Context;
import io.vertx.core.Vertx;

/**
 * Where a peer's answer is handled. grpc-java stubs answer on a transport thread outside any Vert.x context; a
 * request that called a peer goes on in its own context (its trace, its event loop) instead of wherever the answer
 * or a timeout happened to arrive: {@code stub.call(...).emitOn(CallerContext.current())}.
 */
public final class CallerContext {

    private CallerContext() {
    }

    /** The calling thread's Vert.x context as an executor; outside any context, the thread the item arrives on. */
    public static Executor current() {
        Context caller = Vertx.currentContext();
        return caller == null ? Runnable::run : task -> caller.runOnContext(ignored -> task.run());
    }
}
