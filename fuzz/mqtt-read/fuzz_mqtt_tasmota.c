/* libFuzzer target: mqtt-read's tasmota payloads (mqtt_fuzz.h says what is checked). */
#define FORMAT "tasmota"
#include "mqtt_fuzz.h"
