/* museokit serial line protocol v1; see protocol.h and firmware/PROTOCOL.md. */
#include "protocol.h"

#include <string.h>

#include "hal.h"

MkStats mk_stats;

namespace {

enum Role : uint8_t { R_FREE, R_IN, R_ANA, R_DIST, R_OUT, R_PWM, R_SERVO, R_TONE, R_PIX };

const uint16_t UNKNOWN = 0xFFFF;

/* One pin role. p1/p2 are the role's parameters (debounce; interval and threshold; pixel
 * count), value the last reported or written value, cand a debounce candidate level. */
struct Slot {
    uint8_t role, pin, name, pin2;
    uint16_t p1, p2, value, cand;
    uint32_t since;
};

struct Event {
    uint32_t ms;
    uint8_t name;
    uint16_t value;
};

/* A line being composed, with room for the "*HH\n" suffix. */
struct Line {
    char b[MK_LINE_MAX + 1];
    uint8_t n;
    void clear() { n = 0; }
    void str(const char *s) {
        while (*s && n < MK_LINE_MAX - 4) b[n++] = *s++;
    }
    void chr(char c) {
        if (n < MK_LINE_MAX - 4) b[n++] = c;
    }
    void u32(uint32_t v) {
        char tmp[11];
        uint8_t i = 0;
        do { tmp[i++] = char('0' + v % 10); v /= 10; } while (v);
        while (i) chr(tmp[--i]);
    }
    void hex(uint32_t v, uint8_t digits) {
        static const char H[] = "0123456789ABCDEF";
        while (digits) chr(H[(v >> (4 * --digits)) & 15]);
    }
    void pin(uint8_t name) {
        chr(name & PIN_NAME_A ? 'A' : 'D');
        u32(name & 0x7F);
    }
    /* Append the checksum and newline; returns the length to send. */
    uint8_t seal() {
        uint8_t x = mk_checksum(b, n);
        b[n++] = '*';
        hex(x, 2);
        b[n++] = '\n';
        return n;
    }
};

Slot slots[MK_SLOTS];
Event queue[MK_QUEUE];
uint8_t q_head, q_len;
uint8_t pixels[MK_PIXELS * 3];

char rx[MK_LINE_MAX];
uint8_t rx_len;
bool rx_long, rx_junk;

Line reply;       /* the last reply, kept to answer a retried seq without re-executing */
Line out;         /* unsolicited lines */
uint16_t last_seq;
bool strict;
uint16_t hb_ms;
uint32_t hb_last;
uint32_t next_n;
uint32_t board_id;
int8_t dist_busy;

bool is_digit(char c) { return c >= '0' && c <= '9'; }
char lower(char c) { return (c >= 'A' && c <= 'Z') ? char(c + 32) : c; }

bool eq(const char *a, const char *b) {
    while (*a && lower(*a) == *b) { a++; b++; }
    return *a == 0 && *b == 0;
}

int8_t hexval(char c) {
    c = lower(c);
    if (is_digit(c)) return int8_t(c - '0');
    if (c >= 'a' && c <= 'f') return int8_t(c - 'a' + 10);
    return -1;
}

bool parse_hex(const char *s, uint8_t digits, uint32_t *v) {
    *v = 0;
    for (uint8_t i = 0; i < digits; i++) {
        int8_t h = hexval(s[i]);
        if (h < 0) return false;
        *v = (*v << 4) | uint8_t(h);
    }
    return s[digits] == 0;
}

bool parse_num(const char *s, uint32_t lo, uint32_t hi, uint32_t *v) {
    if (!*s) return false;
    uint32_t x = 0;
    for (; *s; s++) {
        if (!is_digit(*s) || x > 6553500) return false;
        x = x * 10 + uint32_t(*s - '0');
    }
    if (x < lo || x > hi) return false;
    *v = x;
    return true;
}

/* `D<n>`, `A<n>` or a bare number; returns the wire name or -1. */
int16_t parse_pin_name(const char *s) {
    uint8_t flag = 0;
    char c = lower(*s);
    if (c == 'a') { flag = PIN_NAME_A; s++; }
    else if (c == 'd') s++;
    uint32_t n;
    if (!parse_num(s, 0, 127, &n)) return -1;
    return int16_t(flag | n);
}

void send_line(Line &l) { hal_write(l.b, l.seal()); }

void ok(uint16_t seq) {
    reply.clear();
    reply.str("ok ");
    reply.u32(seq);
}

void err(uint16_t seq, const char *code) {
    reply.clear();
    reply.str("err ");
    reply.u32(seq);
    reply.chr(' ');
    reply.str(code);
}

int8_t slot_of(uint8_t pin) {
    for (uint8_t i = 0; i < MK_SLOTS; i++)
        if (slots[i].role != R_FREE && (slots[i].pin == pin || (slots[i].role == R_DIST && slots[i].pin2 == pin)))
            return int8_t(i);
    return -1;
}

uint8_t count_role(uint8_t role) {
    uint8_t n = 0;
    for (uint8_t i = 0; i < MK_SLOTS; i++) n += slots[i].role == role;
    return n;
}

void release(Slot &s) {
    switch (s.role) {
        case R_OUT: case R_PWM: hal_output(s.pin, 0); break;
        case R_SERVO: hal_servo(s.pin, -1); break;
        case R_TONE: hal_tone(s.pin, 0, 0); break;
        case R_PIX:
            memset(pixels, 0, sizeof pixels);
            hal_pixels(s.pin, pixels, uint8_t(s.p1));
            break;
        case R_DIST: hal_release(s.pin2); break;
        default: break;
    }
    hal_release(s.pin);
    if (dist_busy >= 0 && &slots[dist_busy] == &s) dist_busy = -1;
    s.role = R_FREE;
}

void queue_event(uint32_t ms, uint8_t name, uint16_t value) {
    if (q_len == MK_QUEUE) {
        mk_stats.lost++;
        return;
    }
    Event &e = queue[(q_head + q_len++) % MK_QUEUE];
    e.ms = ms;
    e.name = name;
    e.value = value;
}

void greet() {
    out.clear();
    out.str("hello ");
    out.u32(next_n++);
    out.str(" museokit ");
    out.u32(MK_PROTOCOL);
    out.chr(' ');
    out.str(HAL_FIRMWARE);
    out.chr(' ');
    out.hex(board_id, 8);
    out.chr(' ');
    out.str(HAL_FEATURES);
    send_line(out);
}

void stat(uint16_t seq) {
    ok(seq);
    const char *names[] = {" lines=", " badsum=", " long=", " junk=", " lost="};
    const uint32_t values[] = {mk_stats.lines, mk_stats.badsum, mk_stats.overlong, mk_stats.junk, mk_stats.lost};
    for (uint8_t i = 0; i < 5; i++) {
        reply.str(names[i]);
        reply.u32(values[i]);
    }
}

/* Claim a slot for pin with role: the pin's own slot if it has this role already
 * (reconfiguring is idempotent), else a free one. Sets the reply and returns null on error. */
Slot *claim(uint16_t seq, uint8_t pin, uint8_t role, bool *fresh) {
    int8_t i = slot_of(pin);
    if (i >= 0) {
        if (slots[i].role != role) { err(seq, "taken"); return 0; }
        *fresh = false;
        return &slots[i];
    }
    for (uint8_t j = 0; j < MK_SLOTS; j++) {
        if (slots[j].role == R_FREE) {
            memset(&slots[j], 0, sizeof(Slot));
            *fresh = true;
            return &slots[j];
        }
    }
    err(seq, "full");
    return 0;
}

bool has_feature(const char *role) {
    uint8_t n = uint8_t(strlen(role));
    for (const char *f = HAL_FEATURES; *f;) {
        if (strncmp(f, role, n) == 0 && (f[n] == ',' || f[n] == 0)) return true;
        while (*f && *f != ',') f++;
        if (*f) f++;
    }
    return false;
}

struct Pin {
    int8_t pin;
    uint8_t name;
};

/* Parse a pin argument that needs caps; on failure sets the reply, pin = -1. */
Pin pin_arg(uint16_t seq, const char *tok, uint8_t caps) {
    Pin p = {-1, 0};
    int16_t name = parse_pin_name(tok);
    if (name < 0) { err(seq, "args"); return p; }
    p.name = uint8_t(name);
    p.pin = hal_pin(p.name, caps);
    if (p.pin < 0) err(seq, "pin");
    return p;
}

void configure(uint16_t seq, const char *verb, char **arg, uint8_t argc) {
    static const struct { const char *verb; uint8_t role, caps, min_args, max_args; } ROLES[] = {
        {"in", R_IN, CAP_DIN, 1, 3},    {"ana", R_ANA, CAP_ANA, 1, 3},
        {"dist", R_DIST, CAP_DOUT, 2, 4}, {"out", R_OUT, CAP_DOUT, 1, 1},
        {"pwm", R_PWM, CAP_PWM, 1, 1},  {"servo", R_SERVO, CAP_DOUT, 1, 1},
        {"tone", R_TONE, CAP_DOUT, 1, 1}, {"pix", R_PIX, CAP_DOUT, 2, 2},
    };
    uint8_t k = 0;
    while (!eq(verb, ROLES[k].verb)) k++;
    uint8_t role = ROLES[k].role;
    if (!has_feature(ROLES[k].verb)) { err(seq, "nofeat"); return; }
    if (argc < ROLES[k].min_args || argc > ROLES[k].max_args) { err(seq, "args"); return; }
    Pin p = pin_arg(seq, arg[0], ROLES[k].caps);
    if (p.pin < 0) return;

    /* Parse every parameter before touching any state. */
    uint32_t a = 0, b = 0;
    Pin echo = {-1, 0};
    uint8_t pull = PULL_UP;
    switch (role) {
        case R_IN:
            if (argc > 1) {
                if (eq(arg[1], "up")) pull = PULL_UP;
                else if (eq(arg[1], "none")) pull = PULL_NONE;
                else if (eq(arg[1], "down")) pull = PULL_DOWN;
                else { err(seq, "args"); return; }
            }
            a = 20;
            if (argc > 2 && !parse_num(arg[2], 0, 10000, &a)) { err(seq, "range"); return; }
            break;
        case R_ANA:
            a = 100; b = 8;
            if ((argc > 1 && !parse_num(arg[1], 10, 60000, &a)) || (argc > 2 && !parse_num(arg[2], 0, 1023, &b))) {
                err(seq, "range");
                return;
            }
            break;
        case R_DIST:
            echo = pin_arg(seq, arg[1], CAP_DIN);
            if (echo.pin < 0) return;
            if (echo.pin == p.pin || (slot_of(uint8_t(echo.pin)) >= 0 && slot_of(uint8_t(echo.pin)) != slot_of(uint8_t(p.pin)))) {
                err(seq, "taken");
                return;
            }
            a = 100; b = 20;
            if ((argc > 2 && !parse_num(arg[2], 30, 60000, &a)) || (argc > 3 && !parse_num(arg[3], 0, 4000, &b))) {
                err(seq, "range");
                return;
            }
            break;
        case R_PIX:
            if (!parse_num(arg[1], 1, MK_PIXELS, &a)) { err(seq, "range"); return; }
            break;
        default: break;
    }
    int8_t existing = slot_of(uint8_t(p.pin));
    bool another = existing < 0 || slots[existing].role != role;
    if (another && ((role == R_TONE && count_role(R_TONE)) || (role == R_PIX && count_role(R_PIX)) ||
                    (role == R_SERVO && count_role(R_SERVO) >= MK_SERVOS))) {
        err(seq, existing >= 0 ? "taken" : "full");
        return;
    }
    bool fresh;
    Slot *s = claim(seq, uint8_t(p.pin), role, &fresh);
    if (!s) return;
    if (role == R_IN && !hal_input(uint8_t(p.pin), pull)) { err(seq, "pin"); return; }
    s->role = role;
    s->pin = uint8_t(p.pin);
    s->name = p.name;
    s->p1 = uint16_t(a);
    s->p2 = uint16_t(b);
    s->since = hal_millis();
    ok(seq);
    switch (role) {
        case R_IN:
            s->value = s->cand = hal_read(s->pin);
            reply.chr(' ');
            reply.u32(s->value);
            break;
        case R_ANA:
            s->value = hal_analog(s->pin);
            reply.chr(' ');
            reply.u32(s->value);
            break;
        case R_DIST:
            s->pin2 = uint8_t(echo.pin);
            hal_output(s->pin, 0);
            hal_input(s->pin2, PULL_NONE);
            if (fresh) s->value = UNKNOWN;
            s->since -= s->p1; /* first ping right away */
            break;
        case R_OUT: case R_PWM:
            if (fresh) hal_output(s->pin, 0);
            break;
        case R_SERVO:
            if (fresh) s->value = UNKNOWN;  /* no pulses until the first angle */
            break;
        case R_TONE:
            if (fresh) hal_output(s->pin, 0);
            break;
        case R_PIX:
            if (fresh) {
                memset(pixels, 0, sizeof pixels);
                hal_output(s->pin, 0);
                hal_pixels(s->pin, pixels, uint8_t(a));
            }
            break;
        default: break;
    }
}

void cmd_set(uint16_t seq, char **arg, uint8_t argc) {
    if (argc < 2 || argc > 3) { err(seq, "args"); return; }
    int16_t name = parse_pin_name(arg[0]);
    if (name < 0) { err(seq, "args"); return; }
    int8_t pin = hal_pin(uint8_t(name), 0);
    int8_t i = pin < 0 ? -1 : slot_of(uint8_t(pin));
    if (i < 0 || slots[i].pin != pin) { err(seq, pin < 0 ? "pin" : "role"); return; }
    Slot &s = slots[i];
    if (s.role < R_OUT || s.role > R_TONE) { err(seq, "role"); return; }
    if (argc == 3 && s.role != R_TONE) { err(seq, "args"); return; }
    if (eq(arg[1], "off")) {  /* a servo goes limp: no more pulses until the next angle */
        if (s.role != R_SERVO || argc != 2) { err(seq, "args"); return; }
        hal_servo(s.pin, -1);
        s.value = UNKNOWN;
        ok(seq);
        return;
    }
    static const uint16_t MAX[] = {0, 0, 0, 0, 1, 255, 180, 65535};  /* by role */
    uint32_t v, ms = 0;
    if (!parse_num(arg[1], 0, MAX[s.role], &v) || (argc == 3 && !parse_num(arg[2], 0, 65535, &ms)) ||
        (s.role == R_TONE && v && v < 31)) {
        err(seq, "range");
        return;
    }
    s.value = uint16_t(v);
    switch (s.role) {
        case R_OUT: hal_output(s.pin, uint8_t(v)); break;
        case R_PWM: hal_pwm(s.pin, uint8_t(v)); break;
        case R_SERVO: hal_servo(s.pin, int16_t(v)); break;
        case R_TONE: hal_tone(s.pin, uint16_t(v), uint16_t(ms)); break;
        default: break;
    }
    ok(seq);
}

void cmd_px(uint16_t seq, char **arg, uint8_t argc) {
    if (argc < 3) { err(seq, "args"); return; }
    int16_t name = parse_pin_name(arg[0]);
    int8_t pin = name < 0 ? -1 : hal_pin(uint8_t(name), 0);
    int8_t i = pin < 0 ? -1 : slot_of(uint8_t(pin));
    if (i < 0 || slots[i].role != R_PIX) { err(seq, name < 0 ? "args" : "role"); return; }
    uint8_t count = uint8_t(slots[i].p1);
    bool all = eq(arg[1], "all");
    uint32_t first = 0, rgb;
    if (argc - 2 > MK_PX_COLOURS) { err(seq, "args"); return; }
    if (all ? argc != 3 : !parse_num(arg[1], 0, count - 1, &first)) { err(seq, all ? "args" : "range"); return; }
    if (!all && first + (argc - 2) > count) { err(seq, "range"); return; }
    for (uint8_t k = 2; k < argc; k++)
        if (!parse_hex(arg[k], 6, &rgb)) { err(seq, "args"); return; }
    for (uint8_t k = 2; k < argc; k++) {
        parse_hex(arg[k], 6, &rgb);
        uint8_t from = all ? 0 : uint8_t(first + k - 2), to = all ? count : uint8_t(from + 1);
        for (uint8_t p = from; p < to; p++) {
            pixels[3 * p] = uint8_t(rgb >> 8);       /* G */
            pixels[3 * p + 1] = uint8_t(rgb >> 16);  /* R */
            pixels[3 * p + 2] = uint8_t(rgb);        /* B */
        }
    }
    hal_pixels(slots[i].pin, pixels, count);
    ok(seq);
}

void cmd_get(uint16_t seq, char **arg, uint8_t argc) {
    if (argc != 1) { err(seq, "args"); return; }
    int16_t name = parse_pin_name(arg[0]);
    int8_t pin = name < 0 ? -1 : hal_pin(uint8_t(name), 0);
    int8_t i = pin < 0 ? -1 : slot_of(uint8_t(pin));
    if (i < 0 || slots[i].pin != pin) { err(seq, name < 0 ? "args" : "role"); return; }
    const Slot &s = slots[i];
    ok(seq);
    reply.chr(' ');
    if (s.role == R_IN) reply.u32(hal_read(s.pin));  /* the raw level, for a host resync */
    else if (s.role == R_ANA) reply.u32(hal_analog(s.pin));
    else if (s.role == R_PIX) reply.u32(s.p1);
    else if (s.role == R_DIST) reply.u32(s.cand);  /* the last measurement, reported or not */
    else if (s.value == UNKNOWN) reply.chr('-');    /* a servo sending no pulses */
    else reply.u32(s.value);
}

void execute(uint16_t seq, char **tok, uint8_t ntok) {
    const char *verb = tok[0];
    char **arg = tok + 1;
    uint8_t argc = uint8_t(ntok - 1);
    uint32_t v;
    if (eq(verb, "ping")) {
        if (argc) err(seq, "args");
        else ok(seq);
    } else if (eq(verb, "hello")) {
        greet();
        ok(seq);
    } else if (eq(verb, "strict")) {
        if (argc != 1 || !parse_num(arg[0], 0, 1, &v)) err(seq, "args");
        else { strict = v; ok(seq); }
    } else if (eq(verb, "hb")) {
        if (argc != 1 || !parse_num(arg[0], 0, 60000, &v)) err(seq, "args");
        else if (v && v < 100) err(seq, "range");
        else { hb_ms = uint16_t(v); hb_last = hal_millis(); ok(seq); }
    } else if (eq(verb, "stat")) {
        stat(seq);
    } else if (eq(verb, "id")) {
        if (argc != 1 || !parse_hex(arg[0], 8, &v)) err(seq, "args");
        else if (v == 0 || v == 0xFFFFFFFFUL) err(seq, "range");
        else {
            board_id = v;
            hal_store_id(v);
            ok(seq);
            reply.chr(' ');
            reply.hex(v, 8);
        }
    } else if (eq(verb, "clear")) {
        if (argc) { err(seq, "args"); return; }
        for (uint8_t i = 0; i < MK_SLOTS; i++) if (slots[i].role) release(slots[i]);
        q_len = 0;
        ok(seq);
    } else if (eq(verb, "free")) {
        int16_t name = argc == 1 ? parse_pin_name(arg[0]) : -1;
        int8_t pin = name < 0 ? -1 : hal_pin(uint8_t(name), 0);
        int8_t i = pin < 0 ? -1 : slot_of(uint8_t(pin));
        if (name < 0) err(seq, "args");
        else if (i < 0) err(seq, "role");
        else { release(slots[i]); ok(seq); }
    } else if (eq(verb, "in") || eq(verb, "ana") || eq(verb, "dist") || eq(verb, "out") || eq(verb, "pwm") ||
               eq(verb, "servo") || eq(verb, "tone") || eq(verb, "pix")) {
        configure(seq, verb, arg, argc);
    } else if (eq(verb, "rfid")) {
        err(seq, "nofeat");
    } else if (eq(verb, "set")) {
        cmd_set(seq, arg, argc);
    } else if (eq(verb, "px")) {
        cmd_px(seq, arg, argc);
    } else if (eq(verb, "get")) {
        cmd_get(seq, arg, argc);
    } else {
        err(seq, "verb");
    }
}

/* A complete line without its '\n': check, count, parse, execute, answer. */
void handle_line(char *line, uint8_t n) {
    if (n && line[n - 1] == '\r') n--;
    if (!n) return;
    char *star = 0;
    for (uint8_t i = 0; i < n; i++) if (line[i] == '*') star = line + i;
    if (star) {
        uint32_t sum;
        line[n] = 0;
        if (star + 3 != line + n || !parse_hex(star + 1, 2, &sum) ||
            sum != mk_checksum(line, uint8_t(star - line))) {
            mk_stats.badsum++;
            return;
        }
        n = uint8_t(star - line);
    } else if (strict) {
        mk_stats.badsum++;
        return;
    }
    line[n] = 0;
    mk_stats.lines++;

    char *tok[24];
    uint8_t ntok = 0;
    bool bad = false;  /* too many tokens, or a seq that is not a number */
    for (char *p = line; *p;) {
        while (*p == ' ') *p++ = 0;
        if (!*p) break;
        if (ntok == 24) { bad = true; break; }
        tok[ntok++] = p;
        while (*p && *p != ' ') p++;
    }
    uint32_t seq = 0;
    char **t = tok;
    if (ntok && is_digit(tok[0][0])) {
        if (!parse_num(tok[0], 0, 65535, &seq)) bad = true;
        t++;
        ntok--;
    }
    if (bad || !ntok) {
        last_seq = 0;
        err(uint16_t(seq), "args");
        send_line(reply);
        return;
    }
    if (seq && seq == last_seq) {
        hal_write(reply.b, reply.n);  /* still sealed from the first time */
        return;
    }
    execute(uint16_t(seq), t, ntok);
    last_seq = uint16_t(seq);
    if (eq(t[0], "hello")) last_seq = 0;  /* a new host session: forget the remembered seq */
    send_line(reply);
}

bool send_event() {
    const Event &e = queue[q_head];
    out.clear();
    out.str("ev ");
    out.u32(next_n);
    out.chr(' ');
    out.u32(e.ms);
    out.chr(' ');
    out.pin(e.name);
    out.chr(' ');
    out.u32(e.value);
    if (hal_tx_room() < out.n + 4) return false;
    next_n++;
    send_line(out);
    q_head = uint8_t((q_head + 1) % MK_QUEUE);
    q_len--;
    return true;
}

void send_heartbeat(uint32_t now) {
    out.clear();
    out.str("hb ");
    out.u32(next_n);
    out.chr(' ');
    out.u32(now);
    out.chr(' ');
    out.u32(mk_stats.badsum + mk_stats.overlong + mk_stats.junk);
    out.chr(' ');
    out.u32(mk_stats.lost);
    if (hal_tx_room() < out.n + 4) return;
    next_n++;
    hb_last = now;
    send_line(out);
}

void poll_slot(Slot &s, uint8_t index, uint32_t now) {
    switch (s.role) {
        case R_IN: {
            uint8_t level = hal_read(s.pin);
            if (level != s.cand) {
                s.cand = level;
                s.since = now;
            }
            if (level != s.value && now - s.since >= s.p1) {
                s.value = level;
                queue_event(s.since, s.name, level);
            }
            break;
        }
        case R_ANA:
            if (now - s.since >= s.p1) {
                s.since = now;
                uint16_t v = hal_analog(s.pin);
                uint16_t d = v > s.value ? v - s.value : s.value - v;
                if (s.p2 ? d >= s.p2 : true) {
                    s.value = v;
                    queue_event(now, s.name, v);
                }
            }
            break;
        case R_DIST:
            if (dist_busy < 0 && now - s.since >= s.p1) {
                s.since = now;
                dist_busy = int8_t(index);
                hal_dist_start(s.pin, s.pin2);
            }
            break;
        default: break;
    }
}

void poll_distance(uint32_t now) {
    int32_t us = hal_dist_poll();
    if (us < 0) return;
    Slot &s = slots[dist_busy];
    dist_busy = -1;
    uint16_t mm = uint16_t(uint32_t(us) * 343 / 2000);
    s.cand = mm;
    uint16_t d = mm > s.value ? mm - s.value : s.value - mm;
    if (s.value == UNKNOWN || !s.p2 || (d && d >= s.p2)) {  /* threshold 0: every ping */
        s.value = mm;
        queue_event(now, s.name, mm);
    }
}

}  // namespace

uint8_t mk_checksum(const char *s, uint8_t n) {
    uint8_t x = 0;
    while (n--) x ^= uint8_t(*s++);
    return x;
}

void mk_begin() {
    memset(&mk_stats, 0, sizeof mk_stats);
    memset(slots, 0, sizeof slots);
    q_head = q_len = 0;
    rx_len = 0;
    rx_long = rx_junk = false;
    reply.clear();
    last_seq = 0;
    strict = false;
    hb_ms = 1000;
    hb_last = hal_millis();
    next_n = 0;
    dist_busy = -1;
    board_id = hal_load_id();
    greet();
}

void mk_feed(uint8_t c) {
    if (c == '\n') {
        if (rx_long) mk_stats.overlong++;
        else if (rx_junk) mk_stats.junk++;
        else handle_line(rx, rx_len);
        rx_len = 0;
        rx_long = rx_junk = false;
        return;
    }
    if (rx_long) return;
    if (rx_len >= MK_LINE_MAX - 1) {  /* no room left for the '\n' */
        rx_long = true;
        return;
    }
    if ((c < 0x20 || c > 0x7E) && c != '\r') rx_junk = true;
    rx[rx_len++] = char(c);
}

void mk_poll() {
    uint32_t now = hal_millis();
    for (uint8_t i = 0; i < MK_SLOTS; i++) poll_slot(slots[i], i, now);
    if (dist_busy >= 0) poll_distance(now);
    while (q_len && send_event()) {
    }
    if (hb_ms && now - hb_last >= hb_ms) send_heartbeat(now);
}
