// The raw baseline for bench_serial: every byte straight back, same UART, same simulator.
void setup() { Serial.begin(115200); }

void loop() {
    while (Serial.available()) Serial.write(uint8_t(Serial.read()));
}
