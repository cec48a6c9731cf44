package dev.sekisho.it.bench;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;

import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;

/**
 * The benchmarks' two load shapes over asynchronous calls ({@code call.apply(i)} starts the i-th call): a closed loop
 * (a fixed number in flight, as fast as they are answered) for throughput, and an open loop (a fixed rate whatever
 * the answers do) for latency. Failed calls are counted into {@link #refused}, never into a rate or a percentile.
 */
final class Loops {

    /** Calls that failed, over every loop of the run (a benchmark prints it next to its rates). */
    static final AtomicLong refused = new AtomicLong();

    private Loops() {
    }

    /** {@code concurrency} calls in flight for the duration; the calls answered per second. */
    static double closed(int concurrency, IntFunction<ListenableFuture<?>> call, Duration duration) throws InterruptedException {
        Semaphore inFlight = new Semaphore(concurrency);
        AtomicLong completed = new AtomicLong();
        long start = System.nanoTime();
        long end = start + duration.toNanos();
        int i = 0;
        while (System.nanoTime() < end) {
            inFlight.acquire();
            Futures.addCallback(call.apply(i++), new FutureCallback<Object>() {
                @Override
                public void onSuccess(Object result) {
                    completed.incrementAndGet();
                    inFlight.release();
                }

                @Override
                public void onFailure(Throwable t) {
                    failed(t);
                    inFlight.release();
                }
            }, MoreExecutors.directExecutor());
        }
        long counted = completed.get();
        double seconds = (System.nanoTime() - start) / 1e9;
        inFlight.acquire(concurrency); // the stragglers, before the next measurement starts
        return counted / seconds;
    }

    /**
     * Calls sent at {@code perSecond} for the duration; each latency counts from when the call was due, so a stall
     * shows in the percentiles instead of slowing the sender (no coordinated omission).
     */
    static Histogram open(IntFunction<ListenableFuture<?>> call, double perSecond, Duration duration) throws InterruptedException {
        ConcurrentHistogram histogram = new ConcurrentHistogram(3);
        long interval = (long) (1e9 / perSecond);
        long start = System.nanoTime();
        long calls = duration.toNanos() / interval;
        CountDownLatch answered = new CountDownLatch((int) calls);
        for (long n = 0; n < calls; n++) {
            long due = start + n * interval;
            long wait = due - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
            Futures.addCallback(call.apply((int) n), new FutureCallback<Object>() {
                @Override
                public void onSuccess(Object result) {
                    histogram.recordValue(System.nanoTime() - due);
                    answered.countDown();
                }

                @Override
                public void onFailure(Throwable t) {
                    failed(t);
                    answered.countDown();
                }
            }, MoreExecutors.directExecutor());
        }
        answered.await(1, TimeUnit.MINUTES);
        return histogram;
    }

    private static void failed(Throwable t) {
        if (refused.incrementAndGet() < 3) {
            System.out.println("call failed: " + t);
        }
    }
}
