package userdata

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"fmt"
	"io"
)

// maxDecodedBytes bounds what Decode inflates: far more than any user data
// EC2 accepts, far less than a compression bomb would make.
const maxDecodedBytes = 1 << 20

// Encode returns the launch template's user data for p: the base64 of the
// gzip-compressed boot script. cloud-init decompresses gzip user data before
// it runs it ("User data formats: Gzip compressed content" in its docs), and
// the script compresses to about a third of its size, which leaves most of
// EC2's MaxBytes for the user's script. It fails as [Render] does; the size
// limit applies to the compressed bytes, which are what EC2 counts.
//
// The output is a pure function of p for a given Go release: the gzip header
// carries no name and no time, so an unchanged script never makes a new
// launch template version.
func Encode(p Params) (string, error) {
	_, compressed, err := render(p)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(compressed), nil
}

// Decode returns the script in user data as EC2 holds it: base64 of gzip, as
// Encode makes, or of plain text, as other tools write. It decompresses as
// cloud-init does, so tools show and run what the instance runs.
func Decode(b64 string) (string, error) {
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return "", fmt.Errorf("user data is not base64: %w", err)
	}
	// gzip's magic number, which no text script starts with.
	if !bytes.HasPrefix(raw, []byte{0x1f, 0x8b}) {
		return string(raw), nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return "", fmt.Errorf("user data looks gzip-compressed but is not: %w", err)
	}
	plain, err := io.ReadAll(io.LimitReader(zr, maxDecodedBytes+1))
	if err != nil {
		return "", fmt.Errorf("decompressing user data: %w", err)
	}
	if len(plain) > maxDecodedBytes {
		return "", fmt.Errorf("user data decompresses to more than %d bytes", maxDecodedBytes)
	}
	if err := zr.Close(); err != nil {
		return "", fmt.Errorf("decompressing user data: %w", err)
	}
	return string(plain), nil
}

// compress gzips script at the best compression, with an empty header.
func compress(script []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, fmt.Errorf("compressing the boot script: %w", err)
	}
	if _, err := zw.Write(script); err != nil {
		return nil, fmt.Errorf("compressing the boot script: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("compressing the boot script: %w", err)
	}
	return buf.Bytes(), nil
}
