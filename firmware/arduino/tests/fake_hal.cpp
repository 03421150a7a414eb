/* hal.h over FakeBoard: a digital pin is D2..D19 (A0..A5 = 14..19), analog A0..A7 = 14..21,
 * PWM on 3 5 6 9 10 11 and pull-down refused, like the Uno. */
#include <string.h>

#include "../museokit/hal.h"
#include "fake_hal.h"

FakeBoard board;

const char HAL_FIRMWARE[] = "test-0.0.0";
const char HAL_FEATURES[] = "in,ana,dist,out,pwm,servo,tone,pix";

uint32_t hal_millis() { return board.now; }
void hal_write(const char *s, uint8_t n) { board.sent.append(s, n); }
uint8_t hal_tx_room() { return board.tx_room; }

int8_t hal_pin(uint8_t name, uint8_t caps) {
    int n = name & 0x7F;
    int pin = (name & PIN_NAME_A) ? n + 14 : n;
    if (pin < 2 || pin > 21 || ((name & PIN_NAME_A) && n > 7)) return -1;
    if ((caps & (CAP_DIN | CAP_DOUT | CAP_PWM)) && pin > 19) return -1;
    if ((caps & CAP_ANA) && pin < 14) return -1;
    if ((caps & CAP_PWM) && !strchr("\x03\x05\x06\x09\x0a\x0b", pin)) return -1;
    return int8_t(pin);
}
bool hal_input(uint8_t pin, uint8_t pull) {
    if (pull == PULL_DOWN) return false;
    board.pull[pin] = pull;
    return true;
}
uint8_t hal_read(uint8_t pin) { return board.level[pin]; }
uint16_t hal_analog(uint8_t pin) { return board.analog[pin]; }
void hal_output(uint8_t pin, uint8_t level) { board.out[pin] = level; board.writes++; }
void hal_pwm(uint8_t pin, uint8_t duty) { board.out[pin] = duty; board.writes++; }
void hal_servo(uint8_t pin, int16_t angle) { board.out[pin] = angle; board.writes++; }
void hal_tone(uint8_t pin, uint16_t hz, uint16_t) { board.out[pin] = hz; board.writes++; }
void hal_pixels(uint8_t, const uint8_t *grb, uint8_t count) {
    memcpy(board.pixels, grb, count * 3u);
    board.pixel_count = count;
}
void hal_dist_start(uint8_t, uint8_t) { board.pings++; }
int32_t hal_dist_poll() { return board.echo_us; }
void hal_release(uint8_t pin) { board.out[pin] = -1; }
uint32_t hal_load_id() { return board.id; }
void hal_store_id(uint32_t id) { board.id = id; }
