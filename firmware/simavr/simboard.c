/* simboard: a simulated Arduino Uno (ATmega328P, 16 MHz) for museokit's tests.
 *
 *   simboard [--id HEX8] [--speed X] firmware.elf
 *
 * UART0 is bridged to a fresh pseudo-terminal whose path is printed as `PTY /dev/pts/N`
 * (the shared /tmp/simavr-uart0 symlink is not used, so boards run in parallel). The CPU
 * starts only after `start` arrives on stdin, so a host can open the port first (pyserial's
 * open() discards bytes already received). The simulation runs at real time (or X times it).
 *
 * Commands on stdin, one per line; replies on stdout start with `SIM `:
 *   start                 run the CPU
 *   pin D2 0|1            drive an input pin (a button: 0 = pressed on a pulled-up pin)
 *   adc 0 512             put a 10-bit value on analog input A0
 *   sonar D7 D8 1000      HC-SR04 on trig D7 / echo D8 sees something at 1000 mm (0: nothing)
 *   level D13             -> SIM LEVEL D13 <0|1>: the level the firmware drives
 *   pixels D6             -> SIM PIXELS D6 <hex bytes>: the last WS2812 frame sent on D6
 *   edges D9              -> SIM EDGES D9 <n>: rising edges the firmware drove on D9 (servo pulses)
 *   reset                 press the reset button; driven input levels stay, as a button's do
 *   time                  -> SIM TIME <simulated ms>
 *   quit (or end of input) exit
 * Every command is answered by `SIM OK <command>` or `SIM ERR <why>`, after its effect.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <simavr/avr_adc.h>
#include <simavr/avr_eeprom.h>
#include <simavr/avr_ioport.h>
#include <simavr/parts/uart_pty.h>
#include <simavr/sim_avr.h>
#include <simavr/sim_cycle_timers.h>
#include <simavr/sim_elf.h>

#define FREQ 16000000UL
#define PIXEL_BYTES 256

static avr_t *avr;
static uart_pty_t pty;

/* Arduino pin -> port letter and bit (Uno: D0-7 PORTD, D8-13 PORTB, D14-19 = A0-A5 PORTC). */
static int port_of(int pin, char *port, int *bit) {
    if (pin < 0 || pin > 19) return -1;
    if (pin < 8) { *port = 'D'; *bit = pin; }
    else if (pin < 14) { *port = 'B'; *bit = pin - 8; }
    else { *port = 'C'; *bit = pin - 14; }
    return 0;
}

/* "D7", "A0" (= 14) or "7" -> Arduino pin number, or -1. */
static int parse_pin(const char *s) {
    int base = 0;
    if (*s == 'A' || *s == 'a') { base = 14; s++; }
    else if (*s == 'D' || *s == 'd') s++;
    char *end;
    long n = strtol(s, &end, 10);
    if (end == s || *end || n < 0 || base + n > 19) return -1;
    return base + (int)n;
}

static avr_irq_t *pin_irq(int pin) {
    char port;
    int bit;
    if (port_of(pin, &port, &bit)) return NULL;
    return avr_io_getirq(avr, AVR_IOCTL_IOPORT_GETIRQ(port), bit);
}

/* Drive an input pin from outside, persistently: simavr re-applies "external" levels whenever
 * the firmware writes the port, where a bare avr_raise_irq would be undone by pinMode(). */
static uint8_t ext_mask[3], ext_value[3];  /* ports B, C, D */

static void apply_external(char port) {
    int i = port - 'B';
    avr_ioport_external_t ext = {.name = port, .mask = ext_mask[i], .value = ext_value[i]};
    avr_ioctl(avr, AVR_IOCTL_IOPORT_SET_EXTERNAL(port), &ext);
}

static void drive(int pin, int level) {
    char port;
    int bit;
    if (port_of(pin, &port, &bit)) return;
    int i = port - 'B';
    ext_mask[i] |= (uint8_t)(1 << bit);
    ext_value[i] = (uint8_t)(level ? ext_value[i] | (1 << bit) : ext_value[i] & ~(1 << bit));
    apply_external(port);
    avr_raise_irq(pin_irq(pin), level ? 1 : 0);
}

/* A reset zeroes the PIN registers, but the world outside the board does not change: a
 * held button is still held. Drive every pin again with its last level; the pin's IRQ still
 * holds that level and simavr filters a raise that repeats it, so raise the other one first. */
static void redrive_all(void) {
    for (int pin = 0; pin < 20; pin++) {
        char port;
        int bit;
        port_of(pin, &port, &bit);
        int i = port - 'B';
        if (!(ext_mask[i] & (1 << bit))) continue;
        int level = (ext_value[i] >> bit) & 1;
        avr_raise_irq(pin_irq(pin), !level);
        drive(pin, level);
    }
}

/* ---- HC-SR04 model: after a trigger pulse, echo rises 200 us later for 5.83 us per mm ---- */

static struct { int trig, echo; uint32_t mm; } sonar = {-1, -1, 0};

static avr_cycle_count_t echo_fall(avr_t *a, avr_cycle_count_t when, void *p) {
    (void)a; (void)when; (void)p;
    drive(sonar.echo, 0);
    return 0;
}

static avr_cycle_count_t echo_rise(avr_t *a, avr_cycle_count_t when, void *p) {
    (void)when; (void)p;
    drive(sonar.echo, 1);
    /* nothing in range: the module holds echo high for 38 ms */
    uint32_t us = sonar.mm ? (uint32_t)(sonar.mm * 5.8309 + 0.5) : 38000;
    avr_cycle_timer_register_usec(a, us, echo_fall, NULL);
    return 0;
}

static void on_trig(struct avr_irq_t *irq, uint32_t value, void *param) {
    (void)param;
    if (irq->value && !value) avr_cycle_timer_register_usec(avr, 200, echo_rise, NULL);  /* falling edge */
}

/* ---- WS2812 decoder on every pin: a high time over 0.5 us is a 1; a low gap over 50 us
 * starts a new frame ---- */

static struct strip {
    avr_cycle_count_t rise, fall;
    uint8_t bytes[PIXEL_BYTES], frame[PIXEL_BYTES];
    int nbits, frame_len;
    unsigned long edges;  /* every rising edge, strip or not: `edges` counts servo pulses */
} strips[20];

static void on_strip(struct avr_irq_t *irq, uint32_t value, void *param) {
    struct strip *s = param;
    if (value && !irq->value) {
        s->edges++;
        if (s->nbits && avr->cycle - s->fall > 50 * (FREQ / 1000000)) s->nbits = 0;
        s->rise = avr->cycle;
    } else if (!value && irq->value) {
        s->fall = avr->cycle;
        if (s->fall - s->rise > 40) return;  /* far longer than a WS2812 bit: not a strip */
        int bit = s->fall - s->rise > 8;     /* 5 cycles for a 0, 13 for a 1 */
        if (s->nbits < PIXEL_BYTES * 8) {
            uint8_t *b = &s->bytes[s->nbits / 8];
            *b = (uint8_t)((*b << 1) | bit);
            s->nbits++;
        }
        if (s->nbits % 8 == 0) {  /* every complete byte makes the frame so far visible */
            s->frame_len = s->nbits / 8;
            memcpy(s->frame, s->bytes, (size_t)s->frame_len);
        }
    }
}

/* ---- commands ---- */

static int running;

static void reply(const char *fmt, const char *a, const char *b) {
    printf("SIM ");
    printf(fmt, a, b);
    printf("\n");
    fflush(stdout);
}

static void command(char *line) {
    char verb[16] = "", a[16] = "", b[16] = "", c[16] = "";
    line[strcspn(line, "\r\n")] = 0;
    int n = sscanf(line, "%15s %15s %15s %15s", verb, a, b, c);
    if (n <= 0) return;
    int pin = n > 1 ? parse_pin(a) : -1;
    if (!strcmp(verb, "quit")) {
        _exit(0);  /* uart_pty_stop can hang joining its thread */
    } else if (!strcmp(verb, "start")) {
        running = 1;
    } else if (!strcmp(verb, "pin") && n == 3 && pin >= 0) {
        drive(pin, atoi(b));
    } else if (!strcmp(verb, "adc") && n == 3) {
        int ch = atoi(a), v = atoi(b);
        if (ch < 0 || ch > 7 || v < 0 || v > 1023) { reply("ERR adc channel 0..7, value 0..1023", "", ""); return; }
        /* the mV that simavr's ADC (mV * 1023 / AVCC) turns back into v */
        avr_raise_irq(avr_io_getirq(avr, AVR_IOCTL_ADC_GETIRQ, ADC_IRQ_ADC0 + ch), (uint32_t)(v * 5000 + 1022) / 1023);
    } else if (!strcmp(verb, "sonar") && n == 4 && pin >= 0 && parse_pin(b) >= 0) {
        sonar.mm = (uint32_t)atoi(c);
        if (sonar.trig != pin) {
            if (sonar.trig >= 0) { reply("ERR one sonar per board", "", ""); return; }
            sonar.trig = pin;
            avr_irq_register_notify(pin_irq(pin), on_trig, NULL);
            sonar.echo = parse_pin(b);
            drive(sonar.echo, 0);  /* the module holds echo low when idle */
        }
    } else if (!strcmp(verb, "level") && n == 2 && pin >= 0) {
        char port;
        int bit = 0;
        avr_ioport_state_t st;
        port_of(pin, &port, &bit);
        avr_ioctl(avr, AVR_IOCTL_IOPORT_GETSTATE(port), &st);
        printf("SIM LEVEL %s %d\n", a, (st.port >> bit) & 1);
    } else if (!strcmp(verb, "pixels") && n == 2 && pin >= 0) {
        printf("SIM PIXELS %s ", a);
        for (int i = 0; i < strips[pin].frame_len; i++) printf("%02X", strips[pin].frame[i]);
        printf("\n");
    } else if (!strcmp(verb, "edges") && n == 2 && pin >= 0) {
        printf("SIM EDGES %s %lu\n", a, strips[pin].edges);
    } else if (!strcmp(verb, "reset") && n == 1) {
        avr_reset(avr);
        avr->frequency = FREQ;
        redrive_all();
    } else if (!strcmp(verb, "time") && n == 1) {
        printf("SIM TIME %llu\n", (unsigned long long)(avr->cycle / (FREQ / 1000)));
    } else {
        reply("ERR unknown command: %s%s", line, "");
        return;
    }
    reply("OK %s%s", line, "");
}

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

/* Read whatever stdin has (waiting up to timeout_ms) and run the complete lines. */
static void read_commands(int timeout_ms) {
    static char buf[4096];
    static size_t len;
    struct pollfd p = {0, POLLIN, 0};
    while (poll(&p, 1, timeout_ms) > 0) {
        ssize_t got = read(0, buf + len, sizeof buf - 1 - len);
        if (got <= 0) _exit(0);  /* our parent went away */
        len += (size_t)got;
        buf[len] = 0;
        char *nl;
        while ((nl = memchr(buf, '\n', len))) {
            *nl = 0;
            command(buf);
            len -= (size_t)(nl + 1 - buf);
            memmove(buf, nl + 1, len);
        }
        if (len == sizeof buf - 1) len = 0;  /* an absurd line: forget it */
        timeout_ms = 0;
    }
}

int main(int argc, char **argv) {
    double speed = 1.0;
    long id = -1;
    int opt;
    while ((opt = getopt(argc, argv, "i:s:")) != -1) {
        if (opt == 'i') id = strtol(optarg, NULL, 16);
        else if (opt == 's') speed = atof(optarg);
    }
    if (optind != argc - 1 || speed <= 0) {
        fprintf(stderr, "usage: simboard [-i BOARD_ID_HEX] [-s SPEED] firmware.elf\n");
        return 2;
    }
    elf_firmware_t fw;
    memset(&fw, 0, sizeof fw);
    if (elf_read_firmware(argv[optind], &fw)) {
        fprintf(stderr, "simboard: cannot read %s\n", argv[optind]);
        return 1;
    }
    avr = avr_make_mcu_by_name("atmega328p");
    if (!avr) return 1;
    avr_init(avr);
    avr->log = LOG_WARNING;
    avr_load_firmware(avr, &fw);
    avr->frequency = FREQ;
    avr->vcc = avr->avcc = avr->aref = 5000;

    if (id >= 0) {  /* the board id as hal_avr.cpp keeps it: 4 bytes little-endian, then "MK" */
        uint8_t ee[6] = {(uint8_t)id, (uint8_t)(id >> 8), (uint8_t)(id >> 16), (uint8_t)(id >> 24), 'M', 'K'};
        avr_eeprom_desc_t d = {ee, 0, sizeof ee};
        avr_ioctl(avr, AVR_IOCTL_EEPROM_SET, &d);
    }
    /* Unconnected inputs read high, as a pulled-up pin or an idle button does. */
    for (int pin = 2; pin < 20; pin++) {
        drive(pin, 1);
        avr_irq_register_notify(pin_irq(pin), on_strip, &strips[pin]);
    }

    uart_pty_init(avr, &pty);
    uart_pty_connect(&pty, '0');
    printf("PTY %s\n", pty.port[0].slavename);
    fflush(stdout);

    while (!running) read_commands(-1);
    double t0 = now_s();
    avr_cycle_count_t c0 = avr->cycle;
    for (;;) {
        avr_cycle_count_t slice_end = avr->cycle + FREQ / 1000;  /* 1 ms of simulated time */
        while (avr->cycle < slice_end) {
            int state = avr_run(avr);
            if (state == cpu_Done || state == cpu_Crashed) {
                fprintf(stderr, "simboard: the CPU stopped (state %d)\n", state);
                _exit(1);
            }
        }
        /* after a reset the cycle counter starts again */
        if (avr->cycle < c0) { c0 = avr->cycle; t0 = now_s(); }
        double ahead = (double)(avr->cycle - c0) / FREQ / speed - (now_s() - t0);
        read_commands(ahead > 0.001 ? (int)(ahead * 1000) : 0);
    }
}
