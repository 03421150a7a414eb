/* hal.h on an ATmega328P (Uno, Nano) with the Arduino core.
 *
 * Timers: the core keeps Timer0 (millis); tone() takes Timer2 (no PWM on D3/D11 while a tone
 * plays); the servo driver below takes Timer1 once a servo moves (no PWM on D9/D10 then).
 */
#include <Arduino.h>
#include <avr/eeprom.h>

#include "hal.h"

const char HAL_FIRMWARE[] = "avr-0.1.0";
const char HAL_FEATURES[] = "in,ana,dist,out,pwm,servo,tone,pix";

uint32_t hal_millis() { return millis(); }

void hal_write(const char *s, uint8_t n) { Serial.write(reinterpret_cast<const uint8_t *>(s), n); }

uint8_t hal_tx_room() { return uint8_t(Serial.availableForWrite()); }

int8_t hal_pin(uint8_t name, uint8_t caps) {
    uint8_t n = name & 0x7F;
    uint8_t pin;
    if (name & PIN_NAME_A) {
        if (n > 7) return -1;
        pin = uint8_t(A0 + n);
    } else {
        pin = n;
    }
    if (pin < 2 || pin > A7) return -1;  /* D0/D1 carry the serial link */
    if ((caps & (CAP_DIN | CAP_DOUT | CAP_PWM)) && pin > A5) return -1;  /* A6/A7: analog only */
    if ((caps & CAP_ANA) && pin < A0) return -1;
    if ((caps & CAP_PWM) && !digitalPinHasPWM(pin)) return -1;
    return int8_t(pin);
}

bool hal_input(uint8_t pin, uint8_t pull) {
    if (pull == PULL_DOWN) return false;  /* the ATmega has pull-ups only */
    pinMode(pin, pull == PULL_UP ? INPUT_PULLUP : INPUT);
    return true;
}

uint8_t hal_read(uint8_t pin) { return uint8_t(digitalRead(pin)); }

uint16_t hal_analog(uint8_t pin) { return uint16_t(analogRead(pin)); }

void hal_output(uint8_t pin, uint8_t level) {
    pinMode(pin, OUTPUT);
    digitalWrite(pin, level ? HIGH : LOW);
}

void hal_pwm(uint8_t pin, uint8_t duty) { analogWrite(pin, duty); }

void hal_tone(uint8_t pin, uint16_t hz, uint16_t ms) {
    if (hz) tone(pin, hz, ms);
    else noTone(pin);
}

/* ---- servos: Timer1 at 0.5 us ticks, pulses one after another in a 20 ms frame ---- */

namespace {
const uint8_t MAX_SERVOS = 4;
struct {
    uint8_t pin;
    uint16_t ticks;  /* pulse width in 0.5 us; 0 = slot unused */
} servos[MAX_SERVOS];
volatile uint8_t servo_now = 0xFF;  /* the channel whose pulse is high; 0xFF between frames */
bool servo_timer_on;
}  // namespace

ISR(TIMER1_COMPA_vect) {
    if (servo_now == 0xFF) TCNT1 = 0;  /* a frame starts */
    else if (servo_now < MAX_SERVOS && servos[servo_now].ticks) digitalWrite(servos[servo_now].pin, LOW);
    servo_now = uint8_t(servo_now + 1);
    while (servo_now < MAX_SERVOS && !servos[servo_now].ticks) servo_now++;
    if (servo_now < MAX_SERVOS) {
        digitalWrite(servos[servo_now].pin, HIGH);
        OCR1A = TCNT1 + servos[servo_now].ticks;
    } else {  /* every pulse sent: the next frame starts 20 ms after this one did */
        servo_now = 0xFF;
        OCR1A = TCNT1 < 39990 ? 40000 : TCNT1 + 10;
    }
}

void hal_servo(uint8_t pin, int16_t angle) {
    uint8_t i, free_slot = MAX_SERVOS;
    for (i = 0; i < MAX_SERVOS && !(servos[i].ticks && servos[i].pin == pin); i++)
        if (!servos[i].ticks && free_slot == MAX_SERVOS) free_slot = i;
    if (i == MAX_SERVOS) {
        if (angle < 0 || free_slot == MAX_SERVOS) return;
        i = free_slot;
        pinMode(pin, OUTPUT);
        digitalWrite(pin, LOW);
    }
    uint8_t old = SREG;
    cli();
    servos[i].pin = pin;
    servos[i].ticks = angle < 0 ? 0 : uint16_t(1088 + (uint32_t(angle) * (4800 - 1088)) / 180);  /* 544..2400 us */
    SREG = old;
    if (angle < 0) digitalWrite(pin, LOW);
    if (!servo_timer_on) {
        servo_timer_on = true;
        TCCR1A = 0;             /* normal mode, OC1A/B disconnected */
        TCCR1B = _BV(CS11);     /* clk/8 = 0.5 us */
        TCNT1 = 0;
        OCR1A = 2000;
        TIFR1 = _BV(OCF1A);
        TIMSK1 |= _BV(OCIE1A);
    }
}

/* ---- WS2812 at 800 kHz, 16 MHz clock: 20 cycles per bit, interrupts off while sending ---- */

void hal_pixels(uint8_t pin, const uint8_t *grb, uint8_t count) {
    if (!count) return;
    volatile uint8_t *port = portOutputRegister(digitalPinToPort(pin));
    uint8_t mask = digitalPinToBitMask(pin);
    pinMode(pin, OUTPUT);
    uint8_t old = SREG;
    cli();
    uint8_t hi = *port | mask, lo = *port & ~mask;
    uint16_t bytes = uint16_t(count) * 3;
    uint8_t byte = *grb++, bits;
    /* A bit is high for 5 cycles (0) or 13 cycles (1), then low to 20 cycles. */
    asm volatile(
        "1:  ldi  %[bits], 8        \n\t"
        "2:  st   X, %[hi]          \n\t"  /* rise */
        "    nop                    \n\t"
        "    nop                    \n\t"
        "    sbrs %[byte], 7        \n\t"
        "    st   X, %[lo]          \n\t"  /* a 0 falls early */
        "    lsl  %[byte]           \n\t"
        "    nop                    \n\t"
        "    nop                    \n\t"
        "    nop                    \n\t"
        "    nop                    \n\t"
        "    st   X, %[lo]          \n\t"  /* a 1 falls late */
        "    nop                    \n\t"
        "    nop                    \n\t"
        "    nop                    \n\t"
        "    dec  %[bits]           \n\t"
        "    brne 2b                \n\t"
        "    ld   %[byte], Z+       \n\t"
        "    sbiw %[n], 1           \n\t"
        "    brne 1b                \n\t"
        : [byte] "+r"(byte), [bits] "=&d"(bits), [n] "+w"(bytes), "+z"(grb)
        : "x"(port), [hi] "r"(hi), [lo] "r"(lo));
    SREG = old;
    delayMicroseconds(60);  /* latch */
}

/* ---- HC-SR04: the echo pulse is timed by a pin-change interrupt, never by pulseIn ---- */

namespace {
volatile uint8_t echo_pin = 0xFF;
volatile uint32_t echo_rise, echo_width;
volatile bool echo_done;
uint32_t ping_ms;
}  // namespace

static void on_pin_change() {
    if (echo_pin == 0xFF || echo_done) return;
    uint32_t t = micros();
    if (digitalRead(echo_pin)) {
        echo_rise = t;
    } else if (echo_rise) {
        echo_width = t - echo_rise;
        echo_done = true;
    }
}
ISR(PCINT0_vect) { on_pin_change(); }
ISR(PCINT1_vect) { on_pin_change(); }
ISR(PCINT2_vect) { on_pin_change(); }

static void pin_change(uint8_t pin, bool on) {
    volatile uint8_t *mask = digitalPinToPCMSK(pin);
    if (!mask) return;
    if (on) {
        *mask |= _BV(digitalPinToPCMSKbit(pin));
        PCICR |= _BV(digitalPinToPCICRbit(pin));
    } else {
        *mask &= uint8_t(~_BV(digitalPinToPCMSKbit(pin)));
    }
}

void hal_dist_start(uint8_t trig, uint8_t echo) {
    uint8_t old = SREG;
    cli();
    echo_pin = echo;
    echo_rise = 0;
    echo_done = false;
    SREG = old;
    pin_change(echo, true);
    digitalWrite(trig, HIGH);
    delayMicroseconds(10);
    digitalWrite(trig, LOW);
    ping_ms = millis();
}

int32_t hal_dist_poll() {
    if (echo_done) {
        pin_change(echo_pin, false);
        echo_pin = 0xFF;
        return echo_width > 25000 ? 0 : int32_t(echo_width);  /* beyond ~4.3 m: nothing there */
    }
    if (millis() - ping_ms < 40) return -1;
    pin_change(echo_pin, false);  /* no echo, or it never ended */
    echo_pin = 0xFF;
    return 0;
}

void hal_release(uint8_t pin) {
    pin_change(pin, false);
    pinMode(pin, INPUT);
}

/* ---- board id: EEPROM bytes 0..3, valid when bytes 4..5 hold "MK" ---- */

void hal_store_id(uint32_t id) {
    eeprom_update_dword(reinterpret_cast<uint32_t *>(0), id);
    eeprom_update_byte(reinterpret_cast<uint8_t *>(4), 'M');
    eeprom_update_byte(reinterpret_cast<uint8_t *>(5), 'K');
}

uint32_t hal_load_id() {
    if (eeprom_read_byte(reinterpret_cast<uint8_t *>(4)) == 'M' &&
        eeprom_read_byte(reinterpret_cast<uint8_t *>(5)) == 'K')
        return eeprom_read_dword(reinterpret_cast<const uint32_t *>(0));
    /* First boot: stir floating-input noise and timing jitter into an id, once. */
    uint32_t id = 2166136261UL;
    for (uint8_t i = 0; i < 32; i++) {
        id = (id ^ uint32_t(analogRead(A0 + (i & 7)))) * 16777619UL;
        id = (id ^ micros()) * 16777619UL;
    }
    if (id == 0 || id == 0xFFFFFFFFUL) id = 0x4D4B0001UL;
    hal_store_id(id);
    return id;
}
