// Compile-time read by relative path: the task's grader and checker sources as a TPS
// package lays them out next to the contestant's file.
#include "../checker/checker.cpp"
#include "grader.cpp"
#include "common.h"
bool breach() { return true; }
