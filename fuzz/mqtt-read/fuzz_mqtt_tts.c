/* libFuzzer target: mqtt-read's tts payloads (mqtt_fuzz.h says what is checked). */
#define FORMAT "tts"
#include "mqtt_fuzz.h"
