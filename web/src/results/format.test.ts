import { describe, expect, it } from 'vitest';
import { exportValue, fmtDate, fmtNumber, fmtNumberPair, fmtPercent, fmtPercentPair, fmtSigned, formatChange, formatValue } from './format';

describe('fmtPercent: the one percentage rounding', () => {
  it('shows two decimals', () => {
    expect(fmtPercent(0.25)).toBe('25.00%');
    expect(fmtPercent(0.12345)).toBe('12.35%');
    expect(fmtPercent(0.93)).toBe('93.00%');
    expect(fmtPercent(1.5)).toBe('150.00%');
  });
  it('shows exactly 100 % and exactly 0 % as such', () => {
    expect(fmtPercent(1)).toBe('100.00%');
    expect(fmtPercent(0)).toBe('0.00%');
  });
  it('never rounds a value that is not exactly 100 % to 100.00 %', () => {
    expect(fmtPercent(0.99999)).toBe('99.99%');
    expect(fmtPercent(0.999951)).toBe('99.99%');
    expect(fmtPercent(1 - 1e-12)).toBe('99.99%');
    expect(fmtPercent(1.00001)).toBe('100.01%');
    expect(fmtPercent(-0.99999)).toBe('-99.99%');
  });
  it('never rounds a value that is not exactly 0 to 0.00 %', () => {
    expect(fmtPercent(0.00001)).toBe('0.01%');
    expect(fmtPercent(1e-9)).toBe('0.01%');
    expect(fmtPercent(-0.00001)).toBe('-0.01%');
  });
  it('signs changes when asked, and says nothing for no value', () => {
    expect(fmtPercent(0.125, { signed: true })).toBe('+12.50%');
    expect(fmtPercent(-0.125, { signed: true })).toBe('-12.50%');
    expect(fmtPercent(0, { signed: true })).toBe('0.00%');
    expect(fmtPercent(null)).toBe('–');
    expect(fmtPercent(Number.NaN)).toBe('n/a');
    expect(fmtPercent(Infinity)).toBe('n/a');
  });

  it('is check.Percent: the examples of docs/checks.md', () => {
    expect(fmtPercent(98_300 / 99_800)).toBe('98.50%');
    expect(fmtPercent(0.99996)).toBe('99.99%');
    expect(fmtPercent(0.00004)).toBe('0.01%');
    // Half away from zero.
    expect(fmtPercent(0.00125)).toBe('0.13%');
    expect(fmtPercent(-0.00125)).toBe('-0.13%');
  });

  it('tells two different values apart with more decimals, and shows equal ones alike', () => {
    expect(fmtPercentPair(0.984969, 0.98497)).toEqual(['98.4969%', '98.4970%']);
    expect(fmtPercentPair(0.5, 0.5)).toEqual(['50.00%', '50.00%']);
    expect(fmtPercentPair(0.25, 0.75)).toEqual(['25.00%', '75.00%']);
    expect(fmtNumberPair(2778.171647, 2778.1716470000005)).toEqual(['2,778.171647', '2,778.171647000001']);
    expect(fmtNumberPair(1.5, 2)).toEqual(['1.5', '2']);
    expect(formatChange(63.19, 63.190000000000005)).toEqual(['63.19', '63.19000000000001']);
    expect(formatChange(null, '2025-03-13T00:00:00Z', 'date')).toEqual(['NULL', '2025-03-13']);
  });
  it('signs count changes', () => {
    expect(fmtSigned(1234)).toBe('+1,234');
    expect(fmtSigned(-3)).toBe('-3');
    expect(fmtSigned(null)).toBe('–');
  });
});

describe('numbers', () => {
  it('groups thousands and keeps up to 6 decimals', () => {
    expect(fmtNumber(1234567)).toBe('1,234,567');
    expect(fmtNumber(-1234.5)).toBe('-1,234.5');
    expect(fmtNumber(0.1 + 0.2)).toBe('0.3');
    expect(fmtNumber(1e-9)).toBe('1.000e-9');
  });
  it('groups numbers sent as text (decimals) without losing digits', () => {
    expect(formatValue('12345678901234567890.10', 'number')).toBe('12,345,678,901,234,567,890.10');
    expect(formatValue('-1000', 'integer')).toBe('-1,000');
    expect(formatValue('n/a', 'number')).toBe('n/a');
  });
});

describe('dates', () => {
  it('shows dates as dates, not 2024-01-01T00:00:00Z', () => {
    expect(formatValue('2024-01-01T00:00:00Z', 'date')).toBe('2024-01-01');
    expect(formatValue('2024-01-01T00:00:00Z')).toBe('2024-01-01');
    expect(formatValue('2024-01-01')).toBe('2024-01-01');
  });
  it('shows timestamps without the T and the Z', () => {
    expect(formatValue('2024-01-01T12:30:05Z', 'datetime')).toBe('2024-01-01 12:30:05');
    expect(formatValue('2024-01-01T00:00:00Z', 'datetime')).toBe('2024-01-01 00:00:00');
    expect(formatValue('2024-01-01T12:30:05.250000Z')).toBe('2024-01-01 12:30:05.25');
    expect(fmtDate('2024-01-01T12:30:05+02:00')).toBe('2024-01-01 12:30:05 +02:00');
  });
  it('leaves text alone', () => {
    expect(formatValue('2024-01-01T00:00:00Z', 'text')).toBe('2024-01-01T00:00:00Z');
    expect(formatValue('completed')).toBe('completed');
    expect(fmtDate('not a date')).toBeNull();
  });
});

describe('values', () => {
  it('shows null, booleans and objects', () => {
    expect(formatValue(null)).toBe('NULL');
    expect(formatValue(true)).toBe('true');
    expect(formatValue({ a: 1 })).toBe('{"a":1}');
  });
  it('exports plain values: no grouping, dates as dates, null empty', () => {
    expect(exportValue(1234567.5)).toBe('1234567.5');
    expect(exportValue('2024-01-01T00:00:00Z', 'date')).toBe('2024-01-01');
    expect(exportValue(null)).toBe('');
    expect(exportValue([1, 2])).toBe('[1,2]');
  });
});
