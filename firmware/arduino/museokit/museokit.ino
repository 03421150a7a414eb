// museokit firmware for ATmega328P boards (Uno, Nano): flashed once, configured by the host
// at connect time over the line protocol in firmware/PROTOCOL.md. The protocol lives in
// protocol.cpp (no Arduino.h, unit-tested on the host), the hardware in hal_avr.cpp.
#include "protocol.h"

void setup() {
    Serial.begin(115200);
    mk_begin();
}

void loop() {
    // Drain the 64-byte receive ring into the protocol's line buffer on every pass, so it
    // never fills while the host sends a 128-byte line (PROTOCOL.md section 5).
    while (Serial.available()) mk_feed(uint8_t(Serial.read()));
    mk_poll();
}
