// jest-dom matchers for component tests (jsdom); harmless in node ones.
import '@testing-library/jest-dom/vitest';
