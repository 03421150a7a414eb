/* Host unit tests of protocol.cpp against fake_hal.cpp: g++ -std=c++17, no Arduino.h.
 * Each check prints its line on failure; the exit status is the number of failures. */
#include <stdio.h>

#include <string>

#include "../museokit/protocol.h"
#include "fake_hal.h"

static int failures = 0, checks = 0;

#define CHECK_EQ(got, want)                                                                  \
    do {                                                                                     \
        checks++;                                                                            \
        auto g_ = (got);                                                                     \
        auto w_ = (want);                                                                    \
        if (!(g_ == w_)) {                                                                   \
            failures++;                                                                      \
            printf("%s:%d: %s\n  got:  %s\n  want: %s\n", __FILE__, __LINE__, #got,          \
                   show(g_).c_str(), show(w_).c_str());                                      \
        }                                                                                    \
    } while (0)

static std::string show(const std::string &s) { return "\"" + s + "\""; }
template <class T> static std::string show(T v) { return std::to_string(v); }

/* body + "*HH" */
static std::string sum(const std::string &body) {
    char hh[4];
    snprintf(hh, sizeof hh, "*%02X", mk_checksum(body.data(), uint8_t(body.size())));
    return body + hh;
}

static void feed(const std::string &bytes) {
    for (unsigned char c : bytes) mk_feed(c);
}

static std::string take() {
    std::string s = board.sent;
    board.sent.clear();
    return s;
}

/* Send one line, return what came back. */
static std::string ask(const std::string &line) {
    feed(line + "\n");
    return take();
}

static std::string line(const std::string &body) { return sum(body) + "\n"; }

static void boot() {
    board = FakeBoard();
    mk_begin();
    take();
}

static void tick(uint32_t ms) {
    board.now += ms;
    mk_poll();
}

static void test_checksum_and_greeting() {
    CHECK_EQ(sum("ping"), std::string("ping*10"));
    CHECK_EQ(sum("ok 0"), std::string("ok 0*14"));
    board = FakeBoard();
    mk_begin();
    CHECK_EQ(take(), line("hello 0 museokit 1 test-0.0.0 3FA29C01 in,ana,dist,out,pwm,servo,tone,pix"));
    CHECK_EQ(ask("hello"), line("hello 1 museokit 1 test-0.0.0 3FA29C01 in,ana,dist,out,pwm,servo,tone,pix") +
                               line("ok 0"));
}

static void test_typed_and_checked_lines() {
    boot();
    CHECK_EQ(ask("ping"), line("ok 0"));
    CHECK_EQ(ask("PING\r"), line("ok 0"));
    CHECK_EQ(ask(sum("7 ping")), line("ok 7"));
    CHECK_EQ(ask("7 ping*00"), std::string(""));           /* wrong checksum: no reply */
    CHECK_EQ(ask("8 ping*1"), std::string(""));            /* malformed checksum */
    CHECK_EQ(mk_stats.badsum, 2u);
    CHECK_EQ(ask(""), std::string(""));                    /* empty lines are ignored */
    CHECK_EQ(ask(sum("9 strict 1")), line("ok 9"));
    CHECK_EQ(ask("ping"), std::string(""));                /* strict: a checksum is required */
    CHECK_EQ(mk_stats.badsum, 3u);
    CHECK_EQ(ask(sum("10 ping")), line("ok 10"));
}

static void test_garbage_overlong_partial() {
    boot();
    CHECK_EQ(ask("pi\x01ng"), std::string(""));
    CHECK_EQ(ask("\xff\xfe"), std::string(""));
    CHECK_EQ(mk_stats.junk, 2u);
    std::string longest = "ping" + std::string(MK_LINE_MAX - 1 - 4 - 3, ' ');
    longest = sum(longest);
    CHECK_EQ(longest.size() + 1, size_t(MK_LINE_MAX));     /* 128 bytes with the '\n': accepted */
    CHECK_EQ(ask(longest), line("ok 0"));
    CHECK_EQ(ask(std::string(300, 'x') + " ping"), std::string(""));
    CHECK_EQ(mk_stats.overlong, 1u);
    CHECK_EQ(ask(longest.substr(0, 60) + "x" + longest.substr(60)), std::string(""));
    CHECK_EQ(mk_stats.overlong, 2u);
    /* the tail of a line whose start was lost fails its checksum */
    CHECK_EQ(ask(sum("3 set D13 1").substr(4)), std::string(""));
    CHECK_EQ(mk_stats.badsum, 1u);
    CHECK_EQ(ask("ping"), line("ok 0"));
    CHECK_EQ(ask("stat"), line("ok 0 lines=3 badsum=1 long=2 junk=2 lost=0"));
}

static void test_errors() {
    boot();
    CHECK_EQ(ask("frobnicate"), line("err 0 verb"));
    CHECK_EQ(ask("5"), line("err 5 args"));
    CHECK_EQ(ask("99999 ping"), line("err 0 args"));
    CHECK_EQ(ask("3 in"), line("err 3 args"));
    CHECK_EQ(ask("4 in D0"), line("err 4 pin"));            /* the UART pins */
    CHECK_EQ(ask("24 in Q2"), line("err 24 args"));
    CHECK_EQ(ask("5 in D2 down"), line("err 5 pin"));
    CHECK_EQ(ask("6 in D2 sideways"), line("err 6 args"));
    CHECK_EQ(ask("7 pwm D4"), line("err 7 pin"));
    CHECK_EQ(ask("28 ana D4"), line("err 28 pin"));
    CHECK_EQ(ask("8 ana A6"), line("ok 8 0"));              /* analog-only pin */
    CHECK_EQ(ask("9 out A6"), line("err 9 pin"));
    CHECK_EQ(ask("10 out D13"), line("ok 10"));
    CHECK_EQ(ask("11 in D13"), line("err 11 taken"));
    CHECK_EQ(ask("12 set D13 2"), line("err 12 range"));
    CHECK_EQ(ask("13 set D12 1"), line("err 13 role"));
    CHECK_EQ(ask("14 rfid D10 D9"), line("err 14 nofeat"));
    CHECK_EQ(ask("15 hb 50"), line("err 15 range"));
    CHECK_EQ(ask("16 id 00000000"), line("err 16 range"));
    CHECK_EQ(ask("17 id 0badcafe"), line("ok 17 0BADCAFE"));
    CHECK_EQ(board.id, 0x0BADCAFEu);
    CHECK_EQ(ask("18 get D12"), line("err 18 role"));
    CHECK_EQ(ask(std::string("19") + std::string(30, ' ') + "ping"), line("ok 19"));
    std::string many = "20 px";
    for (int i = 0; i < 24; i++) many += " 0";
    CHECK_EQ(ask(many), line("err 20 args"));
}

static void test_outputs_and_retries() {
    boot();
    CHECK_EQ(ask(sum("1 out D13")), line("ok 1"));
    int writes = board.writes;
    CHECK_EQ(ask(sum("2 set D13 1")), line("ok 2"));
    CHECK_EQ(board.out[13], 1);
    CHECK_EQ(board.writes, writes + 1);
    /* the host lost the ack and retries: same reply, not executed again */
    CHECK_EQ(ask(sum("2 set D13 1")), line("ok 2"));
    CHECK_EQ(board.writes, writes + 1);
    CHECK_EQ(ask(sum("3 set D13 0")), line("ok 3"));
    CHECK_EQ(board.out[13], 0);
    CHECK_EQ(ask("4 set D13 7"), line("err 4 range"));
    CHECK_EQ(ask("4 set D13 7"), line("err 4 range"));      /* a retried error repeats too */
    CHECK_EQ(ask("pwm D5"), line("ok 0"));
    CHECK_EQ(ask("set D5 200"), line("ok 0"));
    CHECK_EQ(board.out[5], 200);
    CHECK_EQ(ask("servo D9"), line("ok 0"));
    CHECK_EQ(ask("set D9 181"), line("err 0 range"));
    CHECK_EQ(ask("get D9"), line("ok 0 -"));                /* no pulses before the first angle */
    CHECK_EQ(ask("set D9 45"), line("ok 0"));
    CHECK_EQ(board.out[9], 45);
    CHECK_EQ(ask("get D9"), line("ok 0 45"));
    CHECK_EQ(ask("set D9 off"), line("ok 0"));              /* detached: the servo goes limp */
    CHECK_EQ(board.out[9], -1);
    CHECK_EQ(ask("get D9"), line("ok 0 -"));
    CHECK_EQ(ask("set D9 off 5"), line("err 0 args"));
    CHECK_EQ(ask("set D9 90"), line("ok 0"));               /* and comes back with an angle */
    CHECK_EQ(board.out[9], 90);
    CHECK_EQ(ask("set D13 off"), line("err 0 args"));       /* only a servo detaches */
    CHECK_EQ(ask("tone D8"), line("ok 0"));
    CHECK_EQ(ask("tone D7"), line("err 0 full"));           /* one tone pin */
    CHECK_EQ(ask("set D8 440 200"), line("ok 0"));
    CHECK_EQ(board.out[8], 440);
    CHECK_EQ(ask("set D5 1 2"), line("err 0 args"));
    CHECK_EQ(ask("get D5"), line("ok 0 200"));
    CHECK_EQ(ask("free D9"), line("ok 0"));
    CHECK_EQ(board.out[9], -1);
    CHECK_EQ(ask("clear"), line("ok 0"));
    CHECK_EQ(board.out[13], -1);
    CHECK_EQ(ask("set D13 1"), line("err 0 role"));
}

static void test_pixels() {
    boot();
    CHECK_EQ(ask("pix D6 61"), line("err 0 range"));
    CHECK_EQ(ask("pix D6 4"), line("ok 0"));
    CHECK_EQ(ask("pix D7 4"), line("err 0 full"));          /* one strip */
    CHECK_EQ(ask("px D6 all FF8000"), line("ok 0"));
    CHECK_EQ(board.pixel_count, 4);
    CHECK_EQ(int(board.pixels[9]), 0x80);                   /* G of pixel 3 */
    CHECK_EQ(int(board.pixels[10]), 0xFF);                  /* R */
    CHECK_EQ(ask("px D6 2 0000ff 00FF00"), line("ok 0"));
    CHECK_EQ(int(board.pixels[8]), 0xFF);                   /* B of pixel 2 */
    CHECK_EQ(int(board.pixels[9]), 0xFF);                   /* G of pixel 3 */
    CHECK_EQ(ask("px D6 3 0000ff 00FF00"), line("err 0 range"));
    CHECK_EQ(ask("px D6 0 00FG00"), line("err 0 args"));
    CHECK_EQ(ask("get D6"), line("ok 0 4"));
}

/* The longest px line the host sends (PROTOCOL.md §3.3): MK_PX_COLOURS colours after the
 * largest seq, a 3-character pin and a 2-digit index fit in MK_LINE_MAX; one more is refused. */
static void test_longest_pixel_line() {
    boot();
    CHECK_EQ(ask("pix D13 60"), line("ok 0"));
    std::string longest = "65535 px D13 45";
    for (int i = 0; i < MK_PX_COLOURS; i++) longest += " 0A0B0C";
    std::string wire = line(longest);
    CHECK_EQ(wire.size() <= MK_LINE_MAX, true);
    CHECK_EQ(ask(wire), line("ok 65535"));
    CHECK_EQ(int(board.pixels[3 * 59 + 1]), 0x0A);          /* R of the last pixel */
    CHECK_EQ(mk_stats.overlong, 0u);
    std::string more = "px D13 0";                          /* short enough to arrive whole */
    for (int i = 0; i <= MK_PX_COLOURS; i++) more += " 0A0B0C";
    CHECK_EQ(ask(more), line("err 0 args"));
}

static void test_debounced_input_events() {
    boot();
    board.level[2] = 1;
    CHECK_EQ(ask("in D2 up 20"), line("ok 0 1"));
    CHECK_EQ(board.pull[2], 1);
    tick(5);
    board.level[2] = 0;  /* pressed, bouncing */
    tick(1);
    board.level[2] = 1;
    tick(1);
    board.level[2] = 0;
    tick(1);             /* t=8: stable from here */
    tick(10);
    CHECK_EQ(take(), std::string(""));
    tick(10);            /* t=28: 20 ms stable */
    CHECK_EQ(take(), line("ev 1 8 D2 0"));
    tick(100);
    CHECK_EQ(take(), std::string(""));
    board.level[2] = 1;
    tick(1);
    tick(25);
    CHECK_EQ(take(), line("ev 2 129 D2 1"));
    /* reconfiguring is idempotent and keeps the line numbers going */
    CHECK_EQ(ask("in D2 up 20"), line("ok 0 1"));
    CHECK_EQ(ask("in A1 none 0"), line("ok 0 0"));
    board.level[15] = 1;
    tick(1);
    CHECK_EQ(take(), line("ev 3 155 A1 1"));
}

/* <ms> is the edge (PROTOCOL.md 4.2), whatever came after it: the counter wrapping during
 * the debounce, or a busy link holding the event back. The host times the press by it. */
static void test_event_time_is_the_edge() {
    boot();
    board.now = 0xFFFFFFF0u;  /* 16 ms before millis() wraps, ~49.7 days after boot */
    board.level[2] = 1;
    CHECK_EQ(ask("hb 0"), line("ok 0"));
    CHECK_EQ(ask("in D2 up 20"), line("ok 0 1"));
    tick(2);
    board.level[2] = 0;
    tick(1);             /* pressed, seen at 2^32 - 13 */
    tick(10);
    CHECK_EQ(take(), std::string(""));
    tick(20);            /* confirmed after the wrap, timed before it */
    CHECK_EQ(take(), line("ev 1 4294967283 D2 0"));
    board.tx_room = 0;   /* the link is busy: the release waits in the queue */
    board.level[2] = 1;  /* released at 40 (after the wrap) */
    tick(23);
    tick(25);
    tick(100);
    CHECK_EQ(take(), std::string(""));
    board.tx_room = 63;
    tick(1);
    CHECK_EQ(take(), line("ev 2 40 D2 1"));
}

static void test_analog_threshold() {
    boot();
    board.analog[14] = 500;
    CHECK_EQ(ask("ana A0 50 10"), line("ok 0 500"));
    board.analog[14] = 509;
    tick(50);
    CHECK_EQ(take(), std::string(""));
    board.analog[14] = 490;
    tick(20);
    CHECK_EQ(take(), std::string(""));                     /* not due yet */
    tick(30);
    CHECK_EQ(take(), line("ev 1 100 A0 490"));
    CHECK_EQ(ask("get A0"), line("ok 0 490"));
}

static void test_distance() {
    boot();
    CHECK_EQ(ask("dist D7 D7"), line("err 0 taken"));
    CHECK_EQ(ask("dist D7 D8 100 20"), line("ok 0"));
    CHECK_EQ(ask("in D8"), line("err 0 taken"));            /* the echo pin is part of it */
    tick(1);
    CHECK_EQ(board.pings, 1);
    board.echo_us = 5831;                                   /* 1000 mm */
    tick(1);
    CHECK_EQ(take(), line("ev 1 2 D7 1000"));
    board.echo_us = -1;
    tick(98);
    CHECK_EQ(board.pings, 1);
    tick(1);
    CHECK_EQ(board.pings, 2);
    board.echo_us = 5900;                                   /* 1011 mm: under the threshold */
    tick(1);
    CHECK_EQ(take(), std::string(""));
    CHECK_EQ(ask("get D7"), line("ok 0 1011"));
    /* threshold 0: every ping is reported, changed or not (the host smooths them) */
    CHECK_EQ(ask("dist D7 D8 100 0"), line("ok 0"));
    tick(1);                                                /* a ping right away, same echo */
    CHECK_EQ(take(), line("ev 2 103 D7 1011"));
    tick(100);
    CHECK_EQ(take(), line("ev 3 203 D7 1011"));
    CHECK_EQ(board.pings, 4);
}

static void test_queue_heartbeat_and_room() {
    boot();
    board.tx_room = 0;   /* the link is busy: events wait in the queue */
    CHECK_EQ(ask("in D3 none 0"), line("ok 0 0"));
    for (int i = 0; i < 10; i++) {
        board.level[3] = uint8_t(!board.level[3]);
        tick(1);
    }
    CHECK_EQ(take(), std::string(""));
    board.tx_room = 63;
    tick(1);
    std::string want;
    for (int i = 0; i < 8; i++) want += line("ev " + std::to_string(i + 1) + " " + std::to_string(i + 1) + " D3 " +
                                             std::to_string((i + 1) % 2));
    CHECK_EQ(take(), want);
    CHECK_EQ(mk_stats.lost, 2u);
    board.now = 1000;
    mk_poll();
    CHECK_EQ(take(), line("hb 9 1000 0 2"));
    tick(500);
    CHECK_EQ(take(), std::string(""));
    CHECK_EQ(ask("hb 0"), line("ok 0"));
    tick(2000);
    CHECK_EQ(take(), std::string(""));
}

int main() {
    test_checksum_and_greeting();
    test_typed_and_checked_lines();
    test_garbage_overlong_partial();
    test_errors();
    test_outputs_and_retries();
    test_pixels();
    test_longest_pixel_line();
    test_debounced_input_events();
    test_event_time_is_the_edge();
    test_analog_threshold();
    test_distance();
    test_queue_heartbeat_and_room();
    printf("%d checks, %d failures\n", checks, failures);
    return failures ? 1 : 0;
}
