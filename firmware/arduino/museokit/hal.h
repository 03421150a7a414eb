/* The hardware the protocol core needs, as plain functions.
 *
 * hal_avr.cpp implements them with the Arduino core on an ATmega328P; the host unit tests
 * (firmware/arduino/tests/fake_hal.cpp) implement them with variables, so protocol.cpp is
 * compiled and tested with g++ without Arduino.h. Link-time binding, no virtual calls.
 */
#ifndef MUSEOKIT_HAL_H
#define MUSEOKIT_HAL_H

#include <stdint.h>

/* What a pin must be able to do (hal_pin). */
enum { CAP_DIN = 1, CAP_DOUT = 2, CAP_ANA = 4, CAP_PWM = 8 };
/* Pull resistor of a digital input. */
enum { PULL_NONE = 0, PULL_UP = 1, PULL_DOWN = 2 };

/* A pin name from the wire: bit 7 set for an `A<n>` spelling, n in the low 7 bits. */
#define PIN_NAME_A 0x80

extern const char HAL_FIRMWARE[];   /* "avr-0.1.0" */
extern const char HAL_FEATURES[];   /* "in,ana,dist,out,pwm,servo,tone,pix" */

uint32_t hal_millis();
/* Blocking write of n bytes to the host. */
void hal_write(const char *s, uint8_t n);
/* Bytes that hal_write can take now without blocking. */
uint8_t hal_tx_room();

/* The physical pin for a wire name if it has every capability in caps, else -1. */
int8_t hal_pin(uint8_t name, uint8_t caps);
/* Make pin a digital input; false if the pull is not available on this board. */
bool hal_input(uint8_t pin, uint8_t pull);
uint8_t hal_read(uint8_t pin);
uint16_t hal_analog(uint8_t pin); /* 0..1023 */
void hal_output(uint8_t pin, uint8_t level);
void hal_pwm(uint8_t pin, uint8_t duty);
/* Angle 0..180; a negative angle stops the pulses. */
void hal_servo(uint8_t pin, int16_t angle);
/* hz 0 stops; ms 0 plays until stopped. */
void hal_tone(uint8_t pin, uint16_t hz, uint16_t ms);
/* Send count GRB triples to a WS2812 strip. */
void hal_pixels(uint8_t pin, const uint8_t *grb, uint8_t count);
/* Start one HC-SR04 ping; hal_dist_poll() then returns -1 while it runs, else the echo
 * width in microseconds (0: no echo). */
void hal_dist_start(uint8_t trig, uint8_t echo);
int32_t hal_dist_poll();
/* Back to a plain input without pull (role freed). */
void hal_release(uint8_t pin);

uint32_t hal_load_id();
void hal_store_id(uint32_t id);

#endif
