// SPDX-License-Identifier: BSL-1.0
// The header the sideways include names.
